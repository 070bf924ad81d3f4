import type { Environment } from "@capstan/db";
import type { Db } from "../db";
import { notFound } from "../errors";
import { isUuid } from "../ids";

/** An environment of this team; one of another team answers exactly like a missing one. */
export async function getEnvironment(db: Db, teamId: string, environmentId: string): Promise<Environment> {
  if (!isUuid(environmentId)) throw notFound("Environment");
  const environment = await db.environment.findFirst({ where: { id: environmentId, teamId } });
  if (!environment) throw notFound("Environment");
  return environment;
}
