import { describe, expect, it } from "vitest";
import { renderAgentUnit } from "./render-agent-unit";

describe("renderAgentUnit", () => {
  it("renders the agent's unit", () => {
    expect(renderAgentUnit()).toMatchSnapshot();
  });

  it("runs a bundle under node when asked, quoting arguments", () => {
    const unit = renderAgentUnit({ exec: ["/usr/bin/node", "/usr/local/lib/capstan/agent 1.cjs", "run"] });
    expect(unit).toContain('ExecStart=/usr/bin/node "/usr/local/lib/capstan/agent 1.cjs" "run"\n');
    expect(() => renderAgentUnit({ stateDir: "/var/lib/x\nExecStartPre=/bin/sh" })).toThrow(/newline/);
  });
});
