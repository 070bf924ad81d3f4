// Every tRPC procedure must pass through the team RBAC middleware unless it is allow-listed in
// rbac-coverage.ts. A new procedure built from publicProcedure/userProcedure without an entry
// there fails here, so an unguarded endpoint cannot slip in unnoticed.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  findUnguardedProcedures,
  INSTANCE_PROCEDURES,
  PUBLIC_PROCEDURES,
  USER_LEVEL_PROCEDURES,
} from "../../../test/rbac-coverage";
import { createTRPCRouter, instanceProcedure, publicProcedure, teamProcedure, userProcedure } from "./init";
import { appRouter } from "./root";

const allowed = new Set([...PUBLIC_PROCEDURES, ...USER_LEVEL_PROCEDURES]);

describe("RBAC coverage", () => {
  it("guards every procedure of the app router outside the allow-list", () => {
    expect(findUnguardedProcedures(appRouter, allowed)).toEqual([]);
  });

  it("walks all procedures, and every allow-list entry still exists", () => {
    const paths = Object.keys(appRouter._def.procedures);
    expect(paths.length).toBeGreaterThan(allowed.size);
    for (const path of [...allowed, ...INSTANCE_PROCEDURES]) expect(paths).toContain(path);
  });

  it("reports procedures that skip the team middleware (the check can fail)", () => {
    const router = createTRPCRouter({
      safe: teamProcedure("VIEWER").query(() => 1),
      nested: createTRPCRouter({
        leaky: userProcedure.input(z.object({ teamId: z.string() })).query(() => 2),
        open: publicProcedure.mutation(() => 3),
      }),
    });
    expect(findUnguardedProcedures(router, new Set())).toEqual(["nested.leaky", "nested.open"]);
    expect(findUnguardedProcedures(router, new Set(["nested.open"]))).toEqual(["nested.leaky"]);
  });

  it("reports an instance procedure without the instance-admin middleware, and one not listed", () => {
    const router = createTRPCRouter({
      instance: createTRPCRouter({
        teams: instanceProcedure.query(() => 1),
        users: userProcedure.query(() => 2),
        unlisted: instanceProcedure.query(() => 3),
      }),
    });
    expect(findUnguardedProcedures(router, new Set())).toEqual(["instance.unlisted", "instance.users"]);
  });
});
