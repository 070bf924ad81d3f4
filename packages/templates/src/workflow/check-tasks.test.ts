import { describe, expect, it } from "vitest";
import { renderTaskUnits } from "../systemd/render-task-units";
import { validateWorkflowSpec } from "./validate-workflow";
import { formatWorkflowIssue } from "./workflow-issue";

const systemd = (tasks: unknown) => ({ systemd: { exec: ["/usr/bin/app"] }, tasks });

function issuesOf(services: Record<string, unknown>): string[] {
  const result = validateWorkflowSpec({ name: "shop", targets: { hosts: ["web-1"] }, services });
  return result.ok ? [] : result.issues.map(formatWorkflowIssue);
}

describe("scheduled tasks in the workflow spec", () => {
  it("accepts a task and fills the defaults", () => {
    const result = validateWorkflowSpec({
      name: "shop",
      targets: { hosts: ["web-1"] },
      services: {
        api: systemd({ cleanup: { schedule: "*-*-* 03:00:00", command: ["/usr/bin/app", "gc"] } }),
      },
    });
    expect(result.ok).toBe(true);
    if (result.ok)
      expect(result.spec.services.api!.tasks).toEqual({
        cleanup: {
          schedule: "*-*-* 03:00:00",
          command: ["/usr/bin/app", "gc"],
          timeoutSeconds: 3600,
          notifyOnFailure: false,
        },
      });
  });

  it.each([
    "daily",
    "Mon..Fri 03:00",
    "*:*:0/5",
    "*:0/15",
    "Sat,Sun 10:00 Europe/Berlin",
    "*-*-1 00:00:00 UTC",
  ])("accepts the calendar expression %j", (schedule) => {
    expect(issuesOf({ api: systemd({ t: { schedule, command: ["/bin/true"] } }) })).toEqual([]);
  });

  it.each([
    "daily\nExecStartPre=/bin/sh -c 'touch /pwned'",
    "daily\rExecStartPre=/bin/evil",
    "%h",
    "daily; rm -rf /",
    "$(reboot)",
    " daily",
    "daily ",
    "",
  ])("refuses the schedule %j, naming the field", (schedule) => {
    const issues = issuesOf({ api: systemd({ t: { schedule, command: ["/bin/true"] } }) });
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((i) => i.startsWith("services.api.tasks.t.schedule:"))).toBe(true);
  });

  it.each(["../etc", "a/b", "Backup", "-x", "x.timer", "a\nb"])("refuses the task name %j", (name) => {
    const issues = issuesOf({ api: systemd({ [name]: { schedule: "daily", command: ["/bin/true"] } }) });
    expect(issues.join("\n")).toMatch(/task names must be 1-63 lowercase letters/);
  });

  it("refuses arguments with a newline and programs outside the release or with ..", () => {
    expect(
      issuesOf({ api: systemd({ t: { schedule: "daily", command: ["/bin/echo", "a\nExecStartPre=/x"] } }) }),
    ).toEqual([
      "services.api.tasks.t.command[1]: must be a single line (no newline, carriage return or NUL)",
    ]);
    expect(issuesOf({ api: systemd({ t: { schedule: "daily", command: ["bin/app"] } }) })).toEqual([
      "services.api.tasks.t.command[0]: must be an absolute path, or current/... for a file from the service's release",
    ]);
    expect(
      issuesOf({ api: systemd({ t: { schedule: "daily", command: ["current/../../etc/x"] } }) })[0],
    ).toMatch(/^services\.api\.tasks\.t\.command\[0\]: the program must be/);
    expect(issuesOf({ api: systemd({ t: { schedule: "daily", command: "/bin/sh -c x" } }) })[0]).toMatch(
      /^services\.api\.tasks\.t\.command:/,
    );
  });

  it("picks the Compose service that runs a task, and refuses Nix tasks", () => {
    const compose = (tasks: unknown) => ({
      compose: { inline: { services: { web: { image: "a" }, db: { image: "b" } } } },
      tasks,
    });
    expect(issuesOf({ app: compose({ t: { schedule: "daily", command: ["rake", "gc"] } }) })).toEqual([
      "services.app.tasks.t.service: the Compose file has 2 services: name the one that runs the task with `tasks.t.service`",
    ]);
    expect(
      issuesOf({ app: compose({ t: { schedule: "daily", command: ["rake"], service: "web" } }) }),
    ).toEqual([]);
    expect(
      issuesOf({
        app: {
          nix: { flake: "https://example.com/flake.git", exec: ["bin/x"] },
          tasks: { t: { schedule: "daily", command: ["/bin/true"] } },
        },
      }),
    ).toEqual([
      "services.app.tasks.t: Nix services cannot have scheduled tasks yet; move the task to a systemd or Compose service",
    ]);
  });
});

describe("renderTaskUnits", () => {
  const input = {
    workflow: "shop",
    service: "api",
    task: "gc",
    spec: { schedule: "*:0/15", timeoutSeconds: 60, notifyOnFailure: true },
    argv: ["/usr/bin/app", "gc", "100%", "$HOME", "a b;c"],
    serviceSettings: ["DynamicUser=yes", "NoNewPrivileges=yes"],
  };

  it("renders a timer and a oneshot service with quoted arguments", () => {
    const units = renderTaskUnits(input);
    expect(units.base).toBe("capstan-shop-api.task-gc");
    expect(units.timer).toContain("OnCalendar=*:0/15\n");
    expect(units.timer).toContain("Unit=capstan-shop-api.task-gc.service\n");
    expect(units.timer).toContain("X-CapstanNotifyOnFailure=yes\n");
    expect(units.service).toContain('ExecStart=/usr/bin/app "gc" "100%%" "$$HOME" "a b;c"\n');
    expect(units.service).toContain("Type=oneshot\nExecStart=");
    expect(units.service).toContain("TimeoutStartSec=60\nDynamicUser=yes\nNoNewPrivileges=yes\n");
  });

  it("refuses what would add a directive, whatever the caller passes", () => {
    expect(() =>
      renderTaskUnits({ ...input, spec: { ...input.spec, schedule: "daily\nExecStartPre=/x" } }),
    ).toThrow(/schedule/);
    expect(() => renderTaskUnits({ ...input, spec: { ...input.spec, schedule: "%n" } })).toThrow(/schedule/);
    expect(() => renderTaskUnits({ ...input, task: "../x" })).toThrow(/task name/);
    expect(() => renderTaskUnits({ ...input, argv: ["/bin/echo", "a\nExecStartPre=/x"] })).toThrow(/newline/);
    expect(() => renderTaskUnits({ ...input, serviceSettings: ["ExecStartPre=/bin/evil"] })).toThrow(
      /not a setting/,
    );
  });
});
