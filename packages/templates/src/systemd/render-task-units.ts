// The two units of a scheduled task: `<base>.timer` (OnCalendar=) and `<base>.service`
// (Type=oneshot) that runs the command once with the settings of the service it belongs to.
// The schedule is re-checked against the allowlist here, the program is an escaped absolute
// path and every argument is one quoted ExecStart= argument.
import { TASK_NAME_PATTERN, TASK_SCHEDULE_PATTERN, type TaskSpec, taskUnitBase } from "../workflow/task-spec";
import { assertSingleLine, escapePath, quoteExecArgument, RenderError } from "./escape";

export interface RenderTaskUnitsInput {
  workflow: string;
  service: string;
  task: string;
  spec: Pick<TaskSpec, "schedule" | "timeoutSeconds" | "notifyOnFailure">;
  /** argv of ExecStart=; argv[0] absolute. */
  argv: readonly string[];
  /**
   * `[Service]` lines taken over from the service (user, sandbox, EnvironmentFile,
   * WorkingDirectory), already in unit syntax: the caller copies them from a rendered unit.
   */
  serviceSettings: readonly string[];
}

export interface TaskUnits {
  /** `capstan-<workflow>-<service>.task-<task>` */
  base: string;
  timer: string;
  service: string;
}

const SETTING = /^[A-Z][A-Za-z]+=[^\n]*$/;

export function renderTaskUnits(input: RenderTaskUnitsInput): TaskUnits {
  const { workflow, service, task, spec } = input;
  for (const [what, value] of [
    ["workflow", workflow],
    ["service", service],
    ["task", task],
  ] as const) {
    if (!TASK_NAME_PATTERN.test(value)) throw new RenderError(`${what} name does not match the name pattern`);
  }
  if (!TASK_SCHEDULE_PATTERN.test(spec.schedule))
    throw new RenderError("schedule may contain only letters, digits, spaces and * : / . , ~ _ -");
  const [program, ...args] = input.argv;
  if (program === undefined) throw new RenderError("a task must name a program");
  const exec = [
    escapePath(program, "command[0]"),
    ...args.map((a, i) => quoteExecArgument(a, `command[${i + 1}]`)),
  ];
  for (const line of input.serviceSettings) {
    assertSingleLine(line, "a service setting");
    if (!SETTING.test(line) || /^(Exec|Type=|Restart|Timeout)/.test(line))
      throw new RenderError(`not a setting a task takes from its service: ${line.slice(0, 80)}`);
  }
  const base = taskUnitBase(workflow, service, task);
  const what = `${workflow}/${service} task ${task}`;
  const header = [
    `# Rendered by Capstan for workflow ${workflow}, service ${service}, task ${task}.`,
    "# Capstan replaces this file on every deploy; change the workflow instead.",
  ];
  const timer = [
    ...header,
    "[Unit]",
    `Description=Capstan ${what} (schedule)`,
    "",
    "[Timer]",
    `OnCalendar=${spec.schedule}`,
    // A timer's default accuracy is a minute; people expect a task at the time they wrote.
    "AccuracySec=1s",
    `Unit=${base}.service`,
    // Read back by the agent for heartbeats; systemd ignores X- keys.
    `X-CapstanTask=${workflow}/${service}/${task}`,
    `X-CapstanNotifyOnFailure=${spec.notifyOnFailure ? "yes" : "no"}`,
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
  const unit = [
    ...header,
    "[Unit]",
    `Description=Capstan ${what}`,
    "",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${exec.join(" ")}`,
    `TimeoutStartSec=${spec.timeoutSeconds}`,
    ...input.serviceSettings,
    "",
  ].join("\n");
  return { base, timer, service: unit };
}
