import { create } from 'zustand';
import type { WireFindings } from '../../../common/wire';
import { api } from '../api';

interface FindingsState {
  data?: WireFindings;
  loading: boolean;
  error?: string;
  load(): Promise<void>;
}

export const useFindings = create<FindingsState>()((set) => ({
  loading: false,
  async load() {
    set({ loading: true, error: undefined });
    try {
      set({ data: await api.findings(), loading: false });
    } catch (err) {
      set({ loading: false, error: (err as Error).message });
    }
  },
}));
