import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { conflict, notFound } from "../errors";
import { isUuid } from "../ids";
import type { InstanceAdmin } from "./require-instance-admin";

// Any constant works; it only has to be the same in every control-plane process.
const INSTANCE_ADMINS_LOCK_KEY = 0x69616467; // "iadg"

/**
 * Grants or revokes instance admin (instance admins, checked by the caller). Changes serialise on
 * an advisory lock and count the admins under it, so two admins revoking each other at once
 * cannot leave the instance with none.
 */
export async function setInstanceAdmin(
  db: Db,
  admin: InstanceAdmin,
  input: { userId: string; instanceAdmin: boolean },
): Promise<{ userId: string; instanceAdmin: boolean }> {
  if (!isUuid(input.userId)) throw notFound("User");
  return withTransaction(db, async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${INSTANCE_ADMINS_LOCK_KEY}::bigint)`;
    // Re-read under the lock: the caller may just have lost the right.
    const caller = await tx.user.findUnique({ where: { id: admin.userId }, select: { instanceAdmin: true } });
    if (!caller?.instanceAdmin) throw notFound("Page");
    const target = await tx.user.findUnique({
      where: { id: input.userId },
      select: { id: true, email: true, instanceAdmin: true },
    });
    if (!target) throw notFound("User");
    if (target.instanceAdmin === input.instanceAdmin)
      return { userId: target.id, instanceAdmin: input.instanceAdmin };
    if (!input.instanceAdmin && (await tx.user.count({ where: { instanceAdmin: true } })) <= 1) {
      throw conflict(
        "The instance needs at least one instance admin: make someone else instance admin first.",
      );
    }
    await tx.user.update({ where: { id: target.id }, data: { instanceAdmin: input.instanceAdmin } });
    await recordAuditEvent(tx, {
      teamId: null,
      actor: { type: "USER", id: admin.userId, label: admin.email },
      kind: input.instanceAdmin ? "instance.admin_granted" : "instance.admin_revoked",
      target: { type: "user", id: target.id },
      data: { email: target.email },
    });
    return { userId: target.id, instanceAdmin: input.instanceAdmin };
  });
}
