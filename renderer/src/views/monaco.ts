// Monaco, trimmed to what a read-only JSON view needs: the core, find, folding, hover and the JSON
// language (whose providers need the codelens, inlay-hint, suggest and drag-and-drop services).
import * as monaco from 'monaco-editor/editor/editor.api';
import 'monaco-editor/editor/browser/coreCommands';
import 'monaco-editor/editor/common/services/treeViewsDndService';
import 'monaco-editor/editor/contrib/bracketMatching/browser/bracketMatching';
import 'monaco-editor/editor/contrib/clipboard/browser/clipboard';
import 'monaco-editor/editor/contrib/codelens/browser/codelensController';
import 'monaco-editor/editor/contrib/find/browser/findController';
import 'monaco-editor/editor/contrib/folding/browser/folding';
import 'monaco-editor/editor/contrib/hover/browser/hoverContribution';
import 'monaco-editor/editor/contrib/inlayHints/browser/inlayHintsContribution';
import 'monaco-editor/editor/contrib/suggest/browser/suggestController';
import 'monaco-editor/editor/contrib/wordHighlighter/browser/wordHighlighter';
import 'monaco-editor/language/json/monaco.contribution';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import JsonWorker from 'monaco-editor/language/json/json.worker?worker';

self.MonacoEnvironment = {
  getWorker: (_id: string, label: string) => (label === 'json' ? new JsonWorker() : new EditorWorker()),
};

const THEMES = { light: 'hopscope-light', dark: 'hopscope-dark' } as const;
const FONT_FAMILY = '"JetBrains Mono Variable", ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';

// Monaco measures glyphs once; measure again when the bundled font has loaded, or columns drift.
void document.fonts.load(`12px ${FONT_FAMILY}`).then(() => monaco.editor.remeasureFonts());

monaco.editor.defineTheme(THEMES.light, {
  base: 'vs',
  inherit: true,
  rules: [],
  colors: { 'editor.background': '#fbfbfc', 'editorGutter.background': '#fbfbfc', 'editor.lineHighlightBackground': '#00000000' },
});
monaco.editor.defineTheme(THEMES.dark, {
  base: 'vs-dark',
  inherit: true,
  rules: [],
  colors: { 'editor.background': '#12161c', 'editorGutter.background': '#12161c', 'editor.lineHighlightBackground': '#00000000' },
});

export function setEditorTheme(theme: 'light' | 'dark'): void {
  monaco.editor.setTheme(THEMES[theme]);
}

export function createJsonEditor(host: HTMLElement, text: string, theme: 'light' | 'dark') {
  const model = monaco.editor.createModel(text, 'json');
  const editor = monaco.editor.create(host, {
    model,
    readOnly: true,
    domReadOnly: true,
    theme: THEMES[theme],
    automaticLayout: true,
    minimap: { enabled: false },
    scrollBeyondLastLine: false,
    fontSize: 12,
    lineHeight: 18,
    fontFamily: FONT_FAMILY,
    lineNumbers: 'off',
    folding: true,
    renderLineHighlight: 'none',
    wordWrap: 'on',
    padding: { top: 8, bottom: 8 },
    scrollbar: { verticalScrollbarSize: 10, horizontalScrollbarSize: 10 },
    contextmenu: false,
  });
  return {
    setValue: (next: string) => model.setValue(next),
    dispose: () => {
      editor.dispose();
      model.dispose();
    },
  };
}
