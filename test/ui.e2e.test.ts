import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT, startServer, type ServerProcess } from "./server-process.js";

// Debian's package, not a browser Playwright downloads: CI machines have no outside network.
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_MISSING = `Chromium is not installed at ${CHROMIUM}. Install Debian's package (apt-get install -y chromium), as .ci/run does; the web UI tests need a real browser.`;
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const SCREENSHOTS = join(PROJECT, "test-artifacts", "screenshots");
const ROOT_PASSWORD = "ui-e2e-root-password-1";
const BASIC = `Basic ${Buffer.from(`root:${ROOT_PASSWORD}`).toString("base64")}`;
const TOKEN_NAME = "billing-e2e";

/**
 * The web UI in a real headless Chromium against the real server process: what an operator does
 * in the browser must change what the WHM and REST APIs accept.
 */
describe("the web UI, in a real browser", { timeout: 60_000 }, () => {
  let dataDir: string;
  let profileDir: string;
  let server: ServerProcess;
  let context: BrowserContext | null = null;
  let page: Page;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "keyhold-ui-"));
    profileDir = mkdtempSync(join(tmpdir(), "keyhold-ui-chromium-"));
    mkdirSync(SCREENSHOTS, { recursive: true });
    server = await startServer(["--data-dir", dataDir, "--log-level", "warn"], { KEYHOLD_ROOT_PASSWORD: ROOT_PASSWORD });
    if (!existsSync(CHROMIUM)) return;
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
      permissions: ["clipboard-read", "clipboard-write"],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (message) => {
      if (message.type() === "error" && /Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
    });
  });

  afterAll(async () => {
    await context?.close();
    await server?.stop();
    for (const dir of [dataDir, profileDir]) if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  function browser(): Page {
    if (context === null) throw new Error(CHROMIUM_MISSING);
    return page;
  }

  async function screenshot(name: string, fullPage = true): Promise<void> {
    await browser().screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });
  }

  async function open(link: string, heading: string): Promise<void> {
    await browser().getByRole("navigation", { name: "Main" }).getByRole("link", { name: link, exact: true }).click();
    await expect.poll(() => browser().getByRole("heading", { level: 1 }).textContent()).toBe(heading);
  }

  async function listaccts(token: string): Promise<{ status: number; body: any }> {
    const response = await fetch(`${server.base}/json-api/listaccts`, {
      method: "POST",
      headers: { authorization: `whm root:${token}`, "content-type": "application/x-www-form-urlencoded" },
      body: "api.version=1",
    });
    return { status: response.status, body: await response.json() };
  }

  async function rest(path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
    const response = await fetch(`${server.base}/api/v1${path}`, { ...init, headers: { authorization: BASIC, ...init.headers } });
    return { status: response.status, body: await response.json() };
  }

  async function atWidth<T>(width: number, run: () => Promise<T>): Promise<T> {
    const page = browser();
    await page.setViewportSize({ width, height: width < 600 ? 844 : 900 });
    try {
      return await run();
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  }

  /** Each legend of a privilege group: does it stay on one line within its fieldset's border? */
  const LEGEND_GEOMETRY = `[...document.querySelectorAll("fieldset.acl-group")].map((fieldset) => {
    const box = fieldset.getBoundingClientRect();
    const legend = fieldset.querySelector("legend");
    const text = legend.getBoundingClientRect();
    const lineHeight = parseFloat(getComputedStyle(legend).lineHeight);
    return { title: legend.textContent, inside: text.left >= box.left && text.right <= box.right, oneLine: text.height <= lineHeight * 1.5 };
  })`;

  it("runs in Debian's Chromium", () => {
    expect(existsSync(CHROMIUM), CHROMIUM_MISSING).toBe(true);
  });

  it("serves the page with a strict Content-Security-Policy and caching that fits each file", async () => {
    const html = await fetch(`${server.base}/`);
    expect(html.headers.get("content-security-policy")).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
    expect(html.headers.get("content-security-policy")).not.toContain("unsafe-inline");
    expect(html.headers.get("cache-control")).toBe("no-cache");
    expect(html.headers.get("x-content-type-options")).toBe("nosniff");
    expect(html.headers.get("referrer-policy")).toBe("no-referrer");
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(await html.text())?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${server.base}${script}`);
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
  });

  it("shows the API's error for a wrong password, then logs in with the keyboard alone", async () => {
    const page = browser();
    await page.goto(`${server.base}/`);
    await page.getByLabel("Username").fill("root");
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Log in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toBe("The login is invalid.");
    await screenshot("login");

    await page.getByLabel("Password").fill("");
    await page.getByLabel("Username").focus();
    await page.keyboard.press("Tab");
    await page.keyboard.type(ROOT_PASSWORD);
    await page.keyboard.press("Enter");
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Manage API Tokens");
    // The session is the cookie plus the security token; the cookie must be out of the page's reach.
    const cookie = (await browser().context().cookies()).find((candidate) => candidate.name === "whostmgrsession");
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe("Strict");
    // Browser-side expressions are strings: this project is type-checked without the DOM library.
    expect(await page.evaluate<string>("document.cookie")).not.toContain("whostmgrsession");
    // CSRF: the browser sends the cookie with any request, but without the security token it is refused.
    expect(await page.evaluate<number>("fetch('/api/v1/tokens').then((response) => response.status)")).toBe(401);
  });

  it("keeps each privilege group's legend on its box border, at desktop and phone widths", async () => {
    type Legend = { title: string; inside: boolean; oneLine: boolean };
    const page = browser();
    const desktop = await page.evaluate<Legend[]>(LEGEND_GEOMETRY);
    expect(desktop.map((legend) => legend.title)).toContain("Basic / Initial Privileges");
    expect(desktop.filter((legend) => !legend.inside || !legend.oneLine)).toEqual([]);
    await screenshot("privileges-desktop", false);
    const phone = await atWidth(390, async () => {
      await screenshot("privileges-phone");
      return page.evaluate<Legend[]>(LEGEND_GEOMETRY);
    });
    expect(phone.filter((legend) => !legend.inside || !legend.oneLine)).toEqual([]);
  });

  let token = "";

  it("creates a token limited to list-accts and 127.0.0.1, shown once", async () => {
    const page = browser();
    await page.getByLabel("Token name").fill(TOKEN_NAME);
    await page.getByRole("checkbox", { name: "list-accts", exact: true }).check();
    await page.getByLabel("IP whitelist").fill("127.0.0.1\n203.0.113.0/24");
    await page.getByRole("button", { name: "Create token" }).click();

    const secret = page.getByLabel("Your new API token");
    token = await secret.inputValue();
    expect(token).toMatch(/^[0-9A-Z]{32}$/);
    // Focus lands on the new token, so it can be copied from the keyboard at once.
    const secretId = await secret.getAttribute("id");
    await expect.poll(() => page.evaluate<string | null>("document.activeElement && document.activeElement.id")).toBe(secretId);
    await expect.poll(() => page.getByLabel("Token name").inputValue()).toBe("");
    await expect.poll(() => page.getByText("it will not be shown again").count()).toBe(1);
    await page.getByRole("region", { name: `API token “${TOKEN_NAME}” created` }).getByRole("button", { name: "Copy" }).click();
    await expect.poll(() => page.evaluate<string>("navigator.clipboard.readText()")).toBe(token);

    await page.getByRole("button", { name: "I have copied it" }).click();
    await expect.poll(() => secret.count()).toBe(0);
    expect(await page.content()).not.toContain(token);
    const row = page.getByRole("row", { name: new RegExp(TOKEN_NAME) });
    await expect.poll(() => row.textContent()).toContain("127.0.0.1, 203.0.113.0/24");
    expect(await row.textContent()).toContain("list-accts");
  });

  it("the token works against the WHM API, within its privileges only", async () => {
    const allowed = await listaccts(token);
    expect(allowed.status).toBe(200);
    expect(allowed.body.metadata.result).toBe(1);
    expect(allowed.body.data.acct.map((account: { user: string }) => account.user)).toContain("root");

    const beyond = await fetch(`${server.base}/json-api/createacct`, {
      method: "POST",
      headers: { authorization: `whm root:${token}`, "content-type": "application/x-www-form-urlencoded" },
      body: "api.version=1&username=nope&domain=nope.example",
    });
    expect(((await beyond.json()) as { metadata: unknown }).metadata).toMatchObject({ result: 0, reason: expect.stringContaining("create-acct") });

    // The list shows the use it just made.
    const page = browser();
    await page.reload();
    const row = page.getByRole("row", { name: new RegExp(TOKEN_NAME) });
    await expect.poll(() => row.textContent()).toContain("from 127.0.0.1");
    await screenshot("tokens");
    await screenshot("tokens-top", false);
  });

  it("edits the token, and shows the API's error for a bad address", async () => {
    const page = browser();
    await page.getByRole("button", { name: `Edit ${TOKEN_NAME}` }).click();
    const form = page.getByRole("form", { name: `Edit the API token ${TOKEN_NAME}` });
    await form.getByLabel("IP whitelist").fill("127.0.0.1\nnot-an-address");
    await form.getByRole("button", { name: "Save changes" }).click();
    await expect.poll(() => form.getByRole("alert").textContent()).toBe("Invalid IP address or CIDR range specified: not-an-address");

    await form.getByLabel("IP whitelist").fill("127.0.0.1\n198.51.100.7");
    await form.getByRole("button", { name: "Save changes" }).click();
    await expect.poll(() => page.getByRole("status").filter({ hasText: "Saved" }).textContent()).toBe(`Saved the API token “${TOKEN_NAME}”.`);
    await expect.poll(() => page.getByRole("row", { name: new RegExp(TOKEN_NAME) }).textContent()).toContain("127.0.0.1, 198.51.100.7");
  });

  it("revoking the token in the UI makes the WHM API refuse it", async () => {
    const page = browser();
    await page.getByRole("button", { name: `Revoke ${TOKEN_NAME}` }).click();
    const dialog = page.getByRole("dialog", { name: `Revoke “${TOKEN_NAME}”?` });
    await expect.poll(() => dialog.textContent()).toContain("every system that uses it will be refused");
    await dialog.getByRole("button", { name: "Revoke token" }).click();
    await expect.poll(() => page.getByRole("row", { name: new RegExp(TOKEN_NAME) }).count()).toBe(0);

    const refused = await listaccts(token);
    expect(refused.status).toBe(401);
    expect(refused.body.metadata.result).toBe(0);
  });

  it("explains why the Remote Access Key page is off, and turns it on in Tweak Settings", async () => {
    const page = browser();
    await open("Remote Access Key", "Remote Access Key");
    await expect.poll(() => page.getByRole("heading", { name: "Access hashes are turned off" }).count()).toBe(1);
    await screenshot("remote-access-key-off");

    await page.getByRole("main").getByRole("link", { name: "Tweak Settings" }).click();
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Tweak Settings");
    await page.getByLabel("Allow deprecated WHM accesshash authentication").check();
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.getByRole("status").filter({ hasText: "Saved" }).textContent()).toBe("Saved 1 setting.");
    await screenshot("tweak-settings");
    const settings = await rest("/settings");
    expect(settings.body.msg.find((setting: { key: string }) => setting.key === "allow_deprecated_accesshash").value).toBe(1);
  });

  it("generates a Remote Access Key and shows its signature, as the API reports it", async () => {
    const page = browser();
    await open("Remote Access Key", "Remote Access Key");
    await page.getByRole("button", { name: "Generate New Key" }).click();
    const signature = page.getByLabel("Access Key Signature");
    const shown = await signature.inputValue();
    const stored = await rest("/accounts/root/accesshash");
    expect(stored.status).toBe(200);
    expect(shown).toBe(stored.body.msg.signature);
    expect(shown).toMatch(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    const lines = (await page.getByLabel("Remote access key for root").inputValue()).split("\n");
    expect(lines).toHaveLength(30);
    expect(lines.every((line) => /^[0-9a-f]{32}$/.test(line))).toBe(true);
    expect(lines.join("")).toBe(stored.body.msg.accesshash);

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download .accesshash" }).click()]);
    expect(download.suggestedFilename()).toMatch(/accesshash$/);
    expect(readFileSync(await download.path(), "utf8")).toBe(lines.map((line) => `${line}\n`).join(""));
    await screenshot("remote-access-key");

    // On a phone the whole signature is readable: its box fits the screen and nothing scrolls away inside it.
    const fit = await atWidth(390, async () => {
      await signature.scrollIntoViewIfNeeded();
      await screenshot("remote-access-key-phone");
      const box = (await signature.boundingBox())!;
      const overflow = await signature.evaluate((element: { scrollWidth: number; clientWidth: number }) => element.scrollWidth - element.clientWidth);
      return { left: box.x, right: box.x + box.width, overflow, page: await page.evaluate<number>("document.documentElement.scrollWidth") };
    });
    expect(fit.left).toBeGreaterThanOrEqual(0);
    expect(fit.right).toBeLessThanOrEqual(390);
    expect(fit.overflow).toBeLessThanOrEqual(0);
    expect(fit.page).toBeLessThanOrEqual(390);

    await page.getByRole("button", { name: "Generate New Key" }).click();
    const dialog = page.getByRole("dialog", { name: "Generate a new Remote Access Key?" });
    await expect.poll(() => dialog.textContent()).toContain("Every system that uses the old key will stop working");
    await dialog.getByRole("button", { name: "Generate New Key" }).click();
    await expect.poll(() => signature.inputValue()).not.toBe(shown);
    expect(await signature.inputValue()).toBe((await rest("/accounts/root/accesshash")).body.msg.signature);
    const done = page.getByRole("status").filter({ hasText: "Remote Access Key" });
    await expect.poll(() => done.textContent()).toMatch(/^Generated a new Remote Access Key for root\. The old key no longer works/);
    expect(await done.isVisible()).toBe(true);
    await screenshot("remote-access-key-regenerated", false);
  });

  it("converts the Remote Access Key to an API token, once", async () => {
    const page = browser();
    await page.getByRole("button", { name: "Convert to API token" }).click();
    const note = page.getByRole("status").filter({ hasText: "accesshash-" });
    await expect.poll(() => note.textContent()).toMatch(/^Converted: the full-access API token “accesshash-\d+”/);
    const tokens = await rest("/tokens");
    expect(tokens.body.msg).toEqual([expect.objectContaining({ origin: "converted", full_access: true })]);

    await page.getByRole("button", { name: "Convert to API token" }).click();
    await expect.poll(() => note.textContent()).toMatch(/^This key was already converted/);
    expect((await rest("/tokens")).body.msg).toHaveLength(1);
  });

  it("creates an IP-bound access hash under Settings → API, shown once, and deletes it", async () => {
    const page = browser();
    await open("Settings → API", "Settings → API");
    await page.getByLabel("Name", { exact: true }).fill("monitoring");
    await page.getByLabel("IP address or range").fill("999.0.0.1");
    await page.getByRole("button", { name: "Create access hash" }).click();
    await expect.poll(() => page.getByRole("form", { name: "Create an API access hash" }).getByRole("alert").textContent()).toMatch(/999\.0\.0\.1/);

    await page.getByLabel("IP address or range").fill("127.0.0.1");
    await page.getByRole("button", { name: "Create access hash" }).click();
    const secret = page.getByLabel("Your new API access hash");
    const hash = await secret.inputValue();
    expect(hash).toMatch(/^[0-9a-f]{80}$/);
    const status = await fetch(`${server.base}/api/v1/system/status`, { headers: { cookie: `access_hash=${hash}` } });
    expect(status.status).toBe(200);

    await page.getByRole("button", { name: "I have copied it" }).click();
    await expect.poll(() => secret.count()).toBe(0);
    expect(await page.content()).not.toContain(hash);
    const row = page.getByRole("row", { name: /monitoring/ });
    await expect.poll(() => row.textContent()).toContain(`${hash.slice(0, 8)}…`);
    await screenshot("access-hashes");

    await page.getByRole("button", { name: "Delete monitoring" }).click();
    await page.getByRole("dialog", { name: "Delete “monitoring”?" }).getByRole("button", { name: "Delete access hash" }).click();
    await expect.poll(() => row.count()).toBe(0);
    const refused = await fetch(`${server.base}/api/v1/system/status`, { headers: { cookie: `access_hash=${hash}` } });
    expect(refused.status).toBe(401);
  });

  it("creates a reseller, edits its privileges, and removes an account", async () => {
    const page = browser();
    await open("Accounts", "Accounts");
    const form = page.getByRole("form", { name: "Create an account" });
    await form.getByLabel("Username", { exact: true }).fill("resellerone");
    await form.getByLabel("Domain").fill("reseller-one.example");
    await form.getByLabel("Password", { exact: true }).fill("reseller-password-1");
    await form.getByLabel("Make it a reseller").check();
    await form.getByRole("button", { name: "Create account" }).click();
    await expect.poll(() => page.getByRole("row", { name: /resellerone/ }).textContent()).toContain("reseller");

    await page.getByRole("button", { name: "Privileges of resellerone" }).click();
    const privileges = page.getByRole("form", { name: "Privileges of resellerone" });
    await privileges.getByRole("checkbox", { name: "create-acct", exact: true }).check();
    await privileges.getByRole("button", { name: "Save privileges" }).click();
    await expect.poll(() => page.getByRole("status").filter({ hasText: "Saved" }).textContent()).toBe("Saved the privileges of resellerone.");
    expect((await rest("/accounts/resellerone")).body.msg.acls).toContain("create-acct");

    await form.getByLabel("Username", { exact: true }).fill("customer1");
    await form.getByLabel("Domain").fill("customer-one.example");
    await form.getByRole("button", { name: "Create account" }).click();
    await expect.poll(() => page.getByRole("row", { name: /customer1/ }).count()).toBe(1);
    await page.getByRole("button", { name: "Remove customer1" }).click();
    await page.getByRole("dialog", { name: "Remove customer1?" }).getByRole("button", { name: "Remove account" }).click();
    await expect.poll(() => page.getByRole("row", { name: /customer1/ }).count()).toBe(0);
    expect((await rest("/accounts/customer1")).status).toBe(404);
    await screenshot("accounts");
  });

  it("after creating an IP-bound access hash for another account, the Account field is empty again", async () => {
    const page = browser();
    await open("Settings → API", "Settings → API");
    const form = page.getByRole("form", { name: "Create an API access hash" });
    await form.getByLabel("Name", { exact: true }).fill("reseller-monitoring");
    await form.getByLabel("IP address or range").fill("127.0.0.1");
    await form.getByLabel("Account", { exact: true }).fill("resellerone");
    await form.getByRole("button", { name: "Create access hash" }).click();
    await expect.poll(() => page.getByLabel("Your new API access hash").count()).toBe(1);
    await screenshot("access-hash-other-account", false);
    expect(await form.getByLabel("Account", { exact: true }).inputValue()).toBe("");
    expect(await form.getByLabel("Name", { exact: true }).inputValue()).toBe("");
    expect((await rest("/access_hashes")).body.msg).toEqual(expect.arrayContaining([expect.objectContaining({ name: "reseller-monitoring", user: "resellerone" })]));
    await page.getByRole("button", { name: "I have copied it" }).click();
  });

  it("filters the audit log, which never shows a secret", async () => {
    const page = browser();
    await open("Audit log", "Audit log");
    await page.getByLabel("Action", { exact: true }).fill("token.revoke");
    await page.getByRole("button", { name: "Filter" }).click();
    const rows = page.getByRole("table").getByRole("row");
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(1).textContent()).toContain(`root/${TOKEN_NAME}`);

    await page.getByRole("button", { name: "Clear" }).click();
    await expect.poll(() => rows.count()).toBeGreaterThan(10);
    expect(await page.content()).not.toContain(token);
    await screenshot("audit");
  });

  it("matches the audit log's Action filter by prefix, and offers the list of actions", async () => {
    const page = browser();
    const options = await page.evaluate<string[]>(`[...document.getElementById(document.querySelector("input[list]").getAttribute("list")).options].map((option) => option.value)`);
    expect(options).toEqual(expect.arrayContaining(["token.create", "token.revoke", "account.create", "login.failure"]));
    await page.getByLabel("Action", { exact: true }).fill("token");
    await page.getByRole("button", { name: "Filter" }).click();
    const actions = page.getByRole("table").getByRole("rowheader");
    // The list shown before the filter applies holds token actions too: wait for nothing but them.
    const onlyTokens = async () => {
      const shown = await actions.allTextContents();
      return shown.length > 0 && shown.every((action) => action.startsWith("token."));
    };
    await expect.poll(onlyTokens).toBe(true);
    expect(await actions.allTextContents()).toEqual(expect.arrayContaining(["token.create", "token.update", "token.revoke", "token.convert"]));
    await screenshot("audit-prefix", false);
    await page.getByRole("button", { name: "Clear" }).click();
  });

  /** For each details cell: its width, and the words the browser split across lines. */
  const DETAIL_GEOMETRY = `[...document.querySelectorAll("td[data-label=Details]")].filter((cell) => cell.textContent !== "").map((cell) => {
    const broken = [];
    const walker = document.createTreeWalker(cell, 4);
    for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
      const text = node.textContent;
      const word = /[^\\s]+/g;
      let match;
      while ((match = word.exec(text)) !== null) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].filter((rect) => rect.width > 0).map((rect) => Math.round(rect.top)));
        if (tops.size > 1) broken.push(match[0]);
      }
    }
    return { width: cell.getBoundingClientRect().width, broken };
  })`;

  it("gives the audit log's details room on a desktop, breaking lines only between words", async () => {
    const page = browser();
    await page.getByRole("button", { name: "Clear" }).click();
    await expect.poll(() => page.getByRole("table").getByRole("row").count()).toBeGreaterThan(10);
    const cells = await page.evaluate<Array<{ width: number; broken: string[] }>>(DETAIL_GEOMETRY);
    expect(cells.length).toBeGreaterThan(3);
    expect(cells.filter((cell) => cell.broken.length > 0)).toEqual([]);
    expect(Math.min(...cells.map((cell) => cell.width))).toBeGreaterThanOrEqual(220);
    expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(1280);
    await screenshot("audit-desktop");
  });

  it("pages the audit log, so a phone does not get one endless page", async () => {
    for (let n = 0; n < 130; n++) {
      const response = await rest("/settings/allow_deprecated_accesshash", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ value: 1 }) });
      expect(response.status).toBe(200);
    }
    const page = browser();
    await atWidth(390, async () => {
      await page.reload();
      await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Audit log");
      const rows = page.getByRole("table").getByRole("row");
      await expect.poll(() => rows.count()).toBeGreaterThan(10);
      await screenshot("audit-phone");
      expect(await page.evaluate<number>("document.documentElement.scrollHeight")).toBeLessThan(3000);
      expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
      const newer = page.getByRole("button", { name: "Newer" });
      const older = page.getByRole("button", { name: "Older" });
      expect(await newer.isDisabled()).toBe(true);
      const pager = page.getByRole("navigation", { name: "Audit log pages" });
      expect(await pager.textContent()).toContain("Page 1");
      await older.click();
      await expect.poll(() => pager.textContent()).toContain("Page 2");
      await expect.poll(() => newer.isDisabled()).toBe(false);
      expect(await rows.count()).toBeGreaterThan(10);
      expect(await page.evaluate<number>("document.documentElement.scrollHeight")).toBeLessThan(3000);
      await screenshot("audit-phone-older");
      await newer.click();
      await expect.poll(() => pager.textContent()).toContain("Page 1");
    });
  });

  it("is readable at phone width", async () => {
    const page = browser();
    await page.setViewportSize({ width: 375, height: 812 });
    await open("Manage API Tokens", "Manage API Tokens");
    expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375);
    await screenshot("tokens-phone");
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("ran without a Content-Security-Policy violation", () => {
    browser();
    expect(cspViolations).toEqual([]);
  });

  // Last: the lockout blocks this address for every scheme until the server stops.
  it("logs out, and after repeated wrong passwords shows the 429 with its Retry-After", async () => {
    const page = browser();
    await page.getByRole("button", { name: "Log out" }).click();
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Log in to Keyhold");
    await page.getByLabel("Username").fill("root");
    let status = 0;
    for (let attempt = 0; attempt < 10 && status !== 429; attempt++) {
      await page.getByLabel("Password").fill(`wrong-${attempt}`);
      const [response] = await Promise.all([page.waitForResponse((candidate) => candidate.url().endsWith("/api/v1/session")), page.getByRole("button", { name: "Log in" }).click()]);
      status = response.status();
    }
    expect(status).toBe(429);
    await expect.poll(() => page.getByRole("alert").textContent()).toMatch(/^Too many failed logins: try again in \d+ seconds, or ask root to lift the block with “keyhold brute-force flush <address or user>” or in Tweak Settings → Brute-force blocks\.$/);
    expect(await page.getByRole("button", { name: "Log in" }).isDisabled()).toBe(true);
    await screenshot("login-locked");
  });
});
