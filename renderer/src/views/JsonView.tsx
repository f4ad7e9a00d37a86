import { useEffect, useRef, useState } from 'react';

/** Read-only JSON in Monaco, loaded on first use so the editor's weight stays off the first paint. */
export function JsonView({ value, theme }: { value: unknown; theme: 'light' | 'dark' }) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<{ setValue(text: string): void; dispose(): void } | undefined>(undefined);
  const [failed, setFailed] = useState<string>();
  const text = JSON.stringify(value, null, 2);

  useEffect(() => {
    let disposed = false;
    import('./monaco')
      .then(({ createJsonEditor }) => {
        if (disposed || !host.current) return;
        editor.current = createJsonEditor(host.current, text, theme);
      })
      .catch((err: unknown) => setFailed((err as Error).message));
    return () => {
      disposed = true;
      editor.current?.dispose();
      editor.current = undefined;
    };
    // The editor is created once; later values and themes are pushed into it below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    editor.current?.setValue(text);
  }, [text]);

  useEffect(() => {
    void import('./monaco').then(({ setEditorTheme }) => setEditorTheme(theme));
  }, [theme]);

  if (failed) return <pre className="json-fallback">{text}</pre>;
  return <div className="json-view" ref={host} data-testid="json-view" />;
}
