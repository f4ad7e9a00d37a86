// The Electron main process: owns windows, menus, dialogs and the collector process. Thin by design —
// everything it shows comes from the same collector API a browser reaches.
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, session, shell, Tray, utilityProcess, type IpcMainEvent, type IpcMainInvokeEvent, type MenuItemConstructorOptions, type UtilityProcess } from 'electron';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Channel, type ConnectionInfo } from '../common/ipc';
import type { CollectorCommand, CollectorLaunch, CollectorMessage } from './contract';

const appRoot = app.getAppPath();
const distDir = path.join(appRoot, 'dist');
const dbPath = path.join(app.getPath('userData'), 'hopscope.db');
const recentFile = path.join(app.getPath('userData'), 'recent.json');
const MAX_RECENT = 10;

/** Content Security Policy for the UI; monaco needs inline styles and blob workers. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

let window: BrowserWindow | undefined;
/** Shown while the collector is not ready yet and says why (see showStarting). */
let startingWindow: BrowserWindow | undefined;
let collector: UtilityProcess | undefined;
let connection: (ConnectionInfo & { uiUrl: string; grpcPort: number; httpPort: number }) | undefined;
let tray: Tray | undefined;
let clearing = false;
let quitting = false;
const pendingImports: string[] = [];

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', (_event, argv) => {
    importPaths(filesIn(argv));
    if (window) {
      if (window.isMinimized()) window.restore();
      window.focus();
    }
  });
  app.whenReady().then(start, (err: unknown) => fail(`Hopscope could not start: ${(err as Error).message}`));
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (!window && connection) createWindow();
  });
  app.on('before-quit', (event) => {
    if (quitting || !collector) return;
    // Let the collector flush and close the database before the app goes.
    event.preventDefault();
    quitting = true;
    void stopCollector().then(() => app.quit());
  });
  app.on('open-file', (event, file) => {
    event.preventDefault();
    importPaths([file]);
  });
  pendingImports.push(...filesIn(process.argv.slice(1)));
}

function filesIn(argv: string[]): string[] {
  return argv.filter((a) => !a.startsWith('-') && a !== '.' && existsSync(a) && !a.endsWith('.js'));
}

function start(): void {
  lockDownSession();
  registerIpc();
  startCollectorProcess();
}

function lockDownSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
}

function startCollectorProcess(): void {
  const launch: CollectorLaunch = { dbPath, rendererDir: path.join(distDir, 'renderer'), grpcPort: 4317, httpPort: 4318 };
  collector = utilityProcess.fork(path.join(distDir, 'main', 'collector-process.cjs'), [JSON.stringify(launch)], {
    serviceName: 'Hopscope collector',
    stdio: 'inherit',
  });
  collector.on('message', (message: CollectorMessage) => onCollectorMessage(message));
  collector.on('exit', (code) => {
    collector = undefined;
    if (code !== 0 && !clearing && !quitting) fail(`The Hopscope collector stopped unexpectedly (exit code ${code}).`);
  });
}

function onCollectorMessage(message: CollectorMessage): void {
  switch (message.type) {
    case 'starting':
      showStarting(message.message);
      break;
    case 'ready':
      startingWindow?.destroy();
      connection = message;
      if (window) void window.loadURL(message.uiUrl);
      else createWindow();
      if (!tray) createTray();
      importPaths(pendingImports.splice(0));
      break;
    case 'failed':
      fail(message.message);
      break;
    case 'import-done':
      addRecent(message.file);
      break;
  }
}

/**
 * A small window that says why the app is not there yet (the collector compacting the database before it opens
 * it: a second or two per 100 MB kept); the main window replaces it once the collector is ready. A static page: no
 * script, no preload, nothing it may navigate to.
 */
function showStarting(text: string): void {
  if (window) return;
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const style = `body{margin:0;display:grid;place-items:center;height:100vh;font:14px system-ui,sans-serif;color:#1f2328;background:#f6f8fa}
    div{max-width:440px;padding:16px}p{margin:8px 0 0}
    @media (prefers-color-scheme:dark){body{color:#e6edf3;background:#0d1117}}`;
  const page = `<!doctype html><meta charset="utf-8"><title>Hopscope</title><style>${style}</style><div><b>Hopscope is starting</b><p>${escaped}</p></div>`;
  if (!startingWindow) {
    startingWindow = new BrowserWindow({
      width: 520,
      height: 180,
      resizable: false,
      title: 'Hopscope',
      webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, javascript: false, spellcheck: false },
    });
    startingWindow.on('closed', () => (startingWindow = undefined));
    startingWindow.webContents.on('will-navigate', (event) => event.preventDefault());
    startingWindow.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  }
  void startingWindow.loadURL(`data:text/html;charset=utf-8,${encodeURIComponent(page)}`);
}

function send(command: CollectorCommand): void {
  collector?.postMessage(command);
}

function createWindow(): void {
  if (!connection) return;
  window = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    title: 'Hopscope',
    show: false,
    webPreferences: {
      preload: path.join(distDir, 'preload', 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  window.once('ready-to-show', () => window?.show());
  window.on('closed', () => (window = undefined));
  const contents = window.webContents;
  contents.on('will-navigate', (event, url) => {
    // The UI's origin changes when Clear Data restarts the collector on a new port.
    if (!connection || new URL(url).origin !== new URL(connection.uiUrl).origin) event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    openExternal(url);
    return { action: 'deny' };
  });
  void window.loadURL(connection.uiUrl);
  Menu.setApplicationMenu(buildMenu());
}

function createTray(): void {
  if (!connection) return;
  const icon = path.join(appRoot, 'assets', 'tray.png');
  tray = new Tray(existsSync(icon) ? nativeImage.createFromPath(icon) : nativeImage.createEmpty());
  tray.setToolTip(`Hopscope — OTLP gRPC :${connection.grpcPort}, HTTP :${connection.httpPort}`);
  tray.setContextMenu(Menu.buildFromTemplate([
    { label: `Receiving on gRPC :${connection.grpcPort} · HTTP :${connection.httpPort}`, enabled: false },
    { type: 'separator' },
    { label: 'Show Hopscope', click: () => (window ? window.show() : createWindow()) },
    { label: 'Quit', role: 'quit' },
  ]));
}

/** Only parsed http(s) URLs leave the app, and only through the system browser. */
function openExternal(url: string): void {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') void shell.openExternal(parsed.toString());
  } catch {
    // Not a URL: nothing to open.
  }
}

function isOwnWindow(event: IpcMainEvent | IpcMainInvokeEvent): boolean {
  if (!connection || !window || event.sender !== window.webContents) return false;
  const frameUrl = event.senderFrame?.url;
  return frameUrl !== undefined && new URL(frameUrl).origin === new URL(connection.uiUrl).origin;
}

function registerIpc(): void {
  ipcMain.on(Channel.connection, (event) => {
    event.returnValue = isOwnWindow(event) && connection ? { apiBaseUrl: connection.apiBaseUrl, apiToken: connection.apiToken } : null;
  });
  ipcMain.handle(Channel.openTraceFiles, (event) => (isOwnWindow(event) ? openTraceFiles() : undefined));
  ipcMain.handle(Channel.importPaths, (event, paths: unknown) => {
    if (!isOwnWindow(event) || !Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) return;
    importPaths(paths);
  });
  ipcMain.handle(Channel.openExternal, (event, url: unknown) => {
    if (isOwnWindow(event) && typeof url === 'string') openExternal(url);
  });
}

async function openTraceFiles(): Promise<void> {
  const options = {
    title: 'Open trace or log files',
    properties: ['openFile', 'multiSelections'] as ('openFile' | 'multiSelections')[],
    filters: [{ name: 'Traces and logs', extensions: ['json', 'jsonl', 'pb', 'gz', 'bin'] }, { name: 'All files', extensions: ['*'] }],
  };
  const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
  if (!result.canceled) importPaths(result.filePaths);
}

function importPaths(paths: string[]): void {
  if (!paths.length) return;
  if (!connection) {
    pendingImports.push(...paths);
    return;
  }
  send({ type: 'import', paths });
}

function readRecent(): string[] {
  try {
    const list = JSON.parse(readFileSync(recentFile, 'utf8')) as unknown;
    return Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string') : [];
  } catch {
    return [];
  }
}

function addRecent(file: string): void {
  const list = [file, ...readRecent().filter((p) => p !== file)].slice(0, MAX_RECENT);
  writeFileSync(recentFile, JSON.stringify(list));
  app.addRecentDocument(file);
  Menu.setApplicationMenu(buildMenu());
}

async function clearData(): Promise<void> {
  const answer = await dialog.showMessageBox({
    type: 'warning',
    buttons: ['Clear', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
    message: 'Delete every stored trace, log and finding?',
    detail: `This empties ${dbPath}. Receiving continues afterwards.`,
  });
  if (answer.response !== 0) return;
  clearing = true;
  connection = undefined;
  await stopCollector();
  for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
  clearing = false;
  // The window stays open; it loads the new collector's UI when that is ready.
  startCollectorProcess();
}

/** Asks the collector to flush and exit; gives up waiting after 5 s. */
function stopCollector(): Promise<void> {
  const running = collector;
  if (!running) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      running.kill();
      resolve();
    }, 5000);
    running.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    running.postMessage({ type: 'stop' } satisfies CollectorCommand);
  });
}

function buildMenu(): Menu {
  const recent = readRecent();
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open Trace File…', accelerator: 'CmdOrCtrl+O', click: () => void openTraceFiles() },
        {
          label: 'Open Recent',
          submenu: recent.length
            ? recent.map((file) => ({ label: file, click: () => importPaths([file]) }))
            : [{ label: 'No recent files', enabled: false }],
        },
        { type: 'separator' },
        { label: 'Clear Data…', click: () => void clearData() },
        { type: 'separator' },
        process.platform === 'darwin' ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ];
  return Menu.buildFromTemplate(template);
}

function fail(message: string): void {
  dialog.showErrorBox('Hopscope', message);
  app.exit(1);
}
