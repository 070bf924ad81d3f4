import type { HostStatus } from "@capstan/db";
import type { Db } from "../db";
import { type HostView, toHostView } from "./host-view";

export async function listHosts(db: Db, args: { teamId: string; status?: HostStatus }): Promise<HostView[]> {
  const rows = await db.host.findMany({
    where: { teamId: args.teamId, ...(args.status ? { status: args.status } : {}) },
    orderBy: { name: "asc" },
  });
  return rows.map(toHostView);
}
