import { describe, expect, it } from "vitest";
import { getStartedSteps } from "./get-started-steps";

type Progress = Parameters<typeof getStartedSteps>[0];
const fresh: Progress = {
  hosts: 0,
  workflows: 0,
  deployments: 0,
  latestDeploymentId: null,
  succeeded: false,
};
const done = (p: Progress) => getStartedSteps(p, "acme")?.map((s) => s.done);

describe("the Get started checklist", () => {
  it("links each step to where it is done", () => {
    expect(getStartedSteps(fresh, "acme")?.map((s) => [s.title, s.href])).toEqual([
      ["Add a host", "/t/acme/hosts"],
      ["Write a workflow", "/t/acme/workflows/new"],
      ["Deploy it", "/t/acme/deployments"],
      ["See it healthy", "/t/acme/deployments"],
    ]);
  });

  it("ticks steps from the counts and stays after a host enrolled, until a deployment succeeded", () => {
    expect(done(fresh)).toEqual([false, false, false, false]);
    expect(done({ ...fresh, hosts: 1 })).toEqual([true, false, false, false]);
    expect(done({ ...fresh, hosts: 1, workflows: 2 })).toEqual([true, true, false, false]);
    const running = { hosts: 1, workflows: 1, deployments: 1, latestDeploymentId: "d-1", succeeded: false };
    expect(done(running)).toEqual([true, true, true, false]);
    // While the first deploy runs (or after it failed), "see it healthy" opens that deployment.
    expect(getStartedSteps(running, "acme")?.[3]?.href).toBe("/t/acme/deployments/d-1");
    expect(getStartedSteps({ ...running, succeeded: true }, "acme")).toBeNull();
  });
});
