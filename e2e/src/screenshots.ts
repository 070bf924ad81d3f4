// Screenshots attached to the test report, and, with CAPSTAN_UPDATE_SCREENSHOT=1, copied into the
// user guide (docs/user/images/<guideImage>.png) so the guide shows what the dashboard really does.
import { copyFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Page, TestInfo } from "@playwright/test";

const GUIDE_IMAGES = fileURLToPath(new URL("../../docs/user/images/", import.meta.url));

export async function snap(
  page: Page,
  testInfo: TestInfo,
  name: string,
  guideImage?: string,
): Promise<string> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: "image/png" });
  if (guideImage && process.env.CAPSTAN_UPDATE_SCREENSHOT === "1") {
    mkdirSync(GUIDE_IMAGES, { recursive: true });
    copyFileSync(path, `${GUIDE_IMAGES}${guideImage}.png`);
  }
  return path;
}
