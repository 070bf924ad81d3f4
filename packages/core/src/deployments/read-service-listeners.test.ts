import { workflowSpecSchema } from "@capstan/templates";
import { describe, expect, it } from "vitest";
import { readServiceListeners } from "./read-service-listeners";

describe("readServiceListeners", () => {
  it("reads Compose published ports (short and long syntax) and systemd health-check ports", () => {
    const spec = workflowSpecSchema.parse({
      name: "shop",
      targets: { hosts: ["web-1"] },
      services: {
        web: {
          compose: {
            inline: {
              services: {
                app: { image: "capstan-busybox:test", ports: ["127.0.0.1:8080:80", "9090/udp"] },
                admin: {
                  image: "capstan-busybox:test",
                  ports: [{ target: 81, published: 8081, host_ip: "127.0.0.1" }],
                },
              },
            },
          },
        },
        api: {
          systemd: { exec: ["/usr/bin/api"] },
          healthChecks: [{ tcp: { port: 7000 } }, { http: { url: "http://127.0.0.1:7000/health" } }],
        },
      },
    });
    const byService = new Map(readServiceListeners(spec).map((l) => [l.service, l]));
    expect(byService.get("web")).toEqual({
      service: "web",
      ports: ["127.0.0.1:8080 → 80/tcp", "9090/udp (any host port)", "127.0.0.1:8081 → 81/tcp"],
      domains: [],
      note: null,
    });
    expect(byService.get("api")?.ports).toEqual(["port 7000 (health check)"]);
    expect(readServiceListeners(null)).toEqual([]);
  });

  it("lists domains when the spec carries them, and points to the project's file for its ports", () => {
    const spec = workflowSpecSchema.parse({
      name: "shop",
      targets: { hosts: ["web-1"] },
      source: { git: { url: "https://git.example.com/shop.git", ref: "main" } },
      services: { web: { compose: { file: "compose.yaml" } } },
    });
    const withDomains = {
      ...spec,
      services: {
        web: { ...spec.services.web!, domains: ["shop.example.com", { host: "www.example.com" }] },
      },
    } as unknown as typeof spec;
    expect(readServiceListeners(withDomains)).toEqual([
      {
        service: "web",
        ports: [],
        domains: ["shop.example.com", "www.example.com"],
        note: "ports are in the project's compose.yaml",
      },
    ]);
  });
});
