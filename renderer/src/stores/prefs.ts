import { create } from 'zustand';
import { persist } from 'zustand/middleware';

export type ThemeChoice = 'light' | 'dark' | 'system';

interface Prefs {
  theme: ThemeChoice;
  /** Width of the span detail panel in px. */
  detailWidth: number;
  setTheme(theme: ThemeChoice): void;
  setDetailWidth(px: number): void;
}

/** Preferences that outlive a session (jaeger-ui's store.layout), kept in localStorage. */
export const usePrefs = create<Prefs>()(
  persist(
    (set) => ({
      theme: 'system',
      detailWidth: 440,
      setTheme: (theme) => set({ theme }),
      setDetailWidth: (px) => set({ detailWidth: Math.round(Math.min(900, Math.max(320, px))) }),
    }),
    { name: 'hopscope.prefs', partialize: ({ theme, detailWidth }) => ({ theme, detailWidth }) },
  ),
);

const darkQuery = window.matchMedia('(prefers-color-scheme: dark)');

export function resolvedTheme(choice: ThemeChoice): 'light' | 'dark' {
  return choice === 'system' ? (darkQuery.matches ? 'dark' : 'light') : choice;
}

/** Keeps `<html data-theme>` in step with the preference and, for 'system', with the OS. */
export function applyTheme(): () => void {
  const apply = () => {
    document.documentElement.dataset.theme = resolvedTheme(usePrefs.getState().theme);
  };
  apply();
  const unsubscribe = usePrefs.subscribe(apply);
  darkQuery.addEventListener('change', apply);
  return () => {
    unsubscribe();
    darkQuery.removeEventListener('change', apply);
  };
}
