// Replaces everything in the workflow editor (CodeMirror 6) with `text`, the way a person pasting
// would. Not Playwright's fill(): it selects the editor's DOM and types at once, and CodeMirror
// reads a DOM selection asynchronously, so on a busy machine the text went in at the old cursor
// and the starter stayed below it (CI saw "3 problems to fix"). Ctrl+A runs CodeMirror's own
// select-all on its state, so the insert replaces the whole document every time.
import type { Locator } from "@playwright/test";

export async function replaceEditorText(editor: Locator, text: string): Promise<void> {
  await editor.focus();
  await editor.press("ControlOrMeta+a");
  await editor.page().keyboard.insertText(text);
}
