// Compose services are reached by Caddy (on the host, not in Docker) at their container address
// on Capstan's ingress bridge network, so a routed service needs no published host port. The
// agent connects the service's containers to that network after each healthy deploy (Compose
// recreates containers, dropping the connection) and routes to every running replica.
import type Dockerode from "dockerode";

export const INGRESS_NETWORK = "capstan-ingress";

async function ensureNetwork(docker: Dockerode, name: string): Promise<void> {
  try {
    await docker.getNetwork(name).inspect();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    await docker
      .createNetwork({
        Name: name,
        Driver: "bridge",
        CheckDuplicate: true,
        Labels: { "capstan.managed": "ingress" },
      })
      .catch((e: { statusCode?: number }) => {
        // Another deploy made it at the same moment.
        if (e.statusCode !== 409) throw e;
      });
  }
}

/**
 * `ip:port` of each running container of `composeService` (or of the project's only service) in
 * Compose project `project`, connected to the ingress network.
 */
export async function composeUpstreams(
  docker: Dockerode,
  args: { project: string; composeService?: string; port: number; network?: string },
): Promise<string[]> {
  const network = args.network ?? INGRESS_NETWORK;
  await ensureNetwork(docker, network);
  const containers = await docker.listContainers({
    filters: { label: [`com.docker.compose.project=${args.project}`], status: ["running"] },
  });
  const services = [...new Set(containers.map((c) => c.Labels["com.docker.compose.service"]))];
  const target = args.composeService ?? (services.length === 1 ? services[0] : undefined);
  if (!target)
    throw new Error(
      services.length === 0
        ? `no running container of ${args.project} to route to`
        : `the Compose project runs several services (${services.join(", ")}): name one in the domain's \`service\``,
    );
  const chosen = containers.filter((c) => c.Labels["com.docker.compose.service"] === target);
  if (chosen.length === 0)
    throw new Error(`the Compose service \`${target}\` of ${args.project} is not running`);
  const upstreams: string[] = [];
  for (const summary of chosen) {
    const container = docker.getContainer(summary.Id);
    let info = await container.inspect();
    if (!info.NetworkSettings.Networks[network]) {
      await docker.getNetwork(network).connect({ Container: summary.Id });
      info = await container.inspect();
    }
    const ip = info.NetworkSettings.Networks[network]?.IPAddress;
    if (!ip) throw new Error(`container ${summary.Names[0] ?? summary.Id} has no address on ${network}`);
    upstreams.push(`${ip}:${args.port}`);
  }
  return upstreams.sort();
}
