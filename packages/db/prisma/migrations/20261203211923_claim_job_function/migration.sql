-- AlterTable
ALTER TABLE "Deployment" ADD COLUMN     "currentWave" INTEGER;

-- plan.currentWave as a column, so the claim decides a job's wave without detoasting the plan
-- (it grows with the hosts: ~135 KB at 1,000). A trigger copies it on every write of either
-- column, so no writer can forget it and a direct write cannot make the two disagree.
CREATE FUNCTION capstan_deployment_current_wave() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."currentWave" := (NEW.plan->>'currentWave')::int;
  RETURN NEW;
END;
$$;

CREATE TRIGGER "Deployment_currentWave"
  BEFORE INSERT OR UPDATE OF plan, "currentWave" ON "Deployment"
  FOR EACH ROW EXECUTE FUNCTION capstan_deployment_current_wave();

UPDATE "Deployment" SET "currentWave" = (plan->>'currentWave')::int WHERE plan ? 'currentWave';

-- Claims the next runnable job of a host in one round trip (packages/core/src/jobs/claim-job.ts
-- says what each condition is for). PL/pgSQL keeps the statement's plan per connection, so it is
-- not planned on every claim. Under READ COMMITTED each statement below takes a new snapshot, so
-- the claim statement, which runs after the per-host advisory lock is granted, sees whatever the
-- previous holder committed: that is what makes "one RUNNING job per host and service" hold.
-- Both the lock and the claim belong to the caller's transaction (or to this statement's own).
CREATE FUNCTION capstan_claim_job(p_host_id uuid, p_lease_seconds double precision)
RETURNS TABLE (
  id text, "teamId" text, "deploymentId" text, "leaseId" text, "leaseExpiresAt" timestamptz,
  "deadlineAt" timestamptz, attempt int, "lastSeq" int, payload jsonb, "hostPolicy" jsonb,
  "serverTime" timestamptz
)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
  -- Most polls find nothing: one indexed read and no lock, so a flood of reconnecting agents
  -- does not queue on the advisory locks.
  IF NOT EXISTS (
    SELECT 1 FROM "Job" q WHERE q."hostId" = p_host_id AND q.state = 'QUEUED' AND q."deadlineAt" > now()
  ) THEN
    RETURN;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('capstan-claim:' || p_host_id::text, 0));
  RETURN QUERY
  WITH next AS (
    SELECT j.id FROM "Job" j
    JOIN "Deployment" d ON d.id = j."deploymentId"
    WHERE j."hostId" = p_host_id AND j.state = 'QUEUED' AND j."deadlineAt" > now()
      AND d.status <> 'AWAITING_APPROVAL'
      AND j.wave <= COALESCE(d."currentWave", j.wave)
      AND NOT EXISTS (
        SELECT 1 FROM "Job" o
        JOIN "Deployment" od ON od.id = o."deploymentId" AND od."workflowId" = d."workflowId"
          AND od.status <> 'AWAITING_APPROVAL'
        JOIN "JobStep" os ON os."jobId" = o.id
        JOIN "JobStep" js ON js."jobId" = j.id AND js.service = os.service
        WHERE o."hostId" = j."hostId" AND o.id <> j.id
          AND (o.state = 'RUNNING' OR (o.state = 'QUEUED' AND (o.wave, o."createdAt", o.id) < (j.wave, j."createdAt", j.id)))
      )
      AND EXISTS (SELECT 1 FROM "Host" h WHERE h.id = j."hostId" AND h.status <> 'REVOKED' AND NOT h."awaitingApproval")
    ORDER BY j.wave, j."createdAt", j.id
    LIMIT 1
    FOR UPDATE OF j SKIP LOCKED
  ),
  claimed AS (
    UPDATE "Job" j SET state = 'RUNNING', "leaseId" = gen_random_uuid(),
      "leaseExpiresAt" = LEAST(now() + make_interval(secs => p_lease_seconds), j."deadlineAt"),
      attempt = j.attempt + 1, "claimedAt" = now()
    FROM next WHERE j.id = next.id
    RETURNING j.*
  ),
  started AS (
    UPDATE "Deployment" d SET status = 'RUNNING', "startedAt" = COALESCE(d."startedAt", now())
    FROM claimed c WHERE d.id = c."deploymentId" AND d.status = 'PENDING'
  ),
  -- The row auditInsertSql (packages/core/src/audit/record-audit-event.ts) writes for a claim.
  audit AS (
    INSERT INTO "AuditEvent" ("teamId", "actorType", "actorId", "actorLabel", kind, "targetType", "targetId", data)
    SELECT c."teamId", 'AGENT', c."hostId"::text, h.name, 'job.claimed', 'job', c.id::text,
      jsonb_build_object('deploymentId', c."deploymentId", 'attempt', c.attempt)
    FROM claimed c JOIN "Host" h ON h.id = c."hostId"
  )
  SELECT c.id::text, c."teamId"::text, c."deploymentId"::text, c."leaseId"::text, c."leaseExpiresAt"::timestamptz,
    c."deadlineAt"::timestamptz, c.attempt, c."lastSeq", c.payload, h.policy, now()
  FROM claimed c JOIN "Host" h ON h.id = c."hostId";
END;
$$;
