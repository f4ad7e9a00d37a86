// Line icons drawn on a 16-unit grid, stroked with the current text colour.
const PATHS = {
  chevronRight: 'M6 3.5 10.5 8 6 12.5',
  chevronDown: 'M3.5 6 8 10.5 12.5 6',
  chevronLeft: 'M10 3.5 5.5 8 10 12.5',
  search: 'M7 12.2A5.2 5.2 0 1 0 7 1.8a5.2 5.2 0 0 0 0 10.4ZM10.8 10.8 14.5 14.5',
  sun: 'M8 11A3 3 0 1 0 8 5a3 3 0 0 0 0 6ZM8 1v1.5M8 13.5V15M1 8h1.5M13.5 8H15M3 3l1 1M12 12l1 1M3 13l1-1M12 4l1-1',
  moon: 'M13.5 9.5A5.8 5.8 0 0 1 6.5 2.5a5.8 5.8 0 1 0 7 7Z',
  upload: 'M8 10.5V2M4.5 5.5 8 2l3.5 3.5M2.5 10.5v2a1 1 0 0 0 1 1h9a1 1 0 0 0 1-1v-2',
  alert: 'M8 1.8 14.6 13.5H1.4L8 1.8ZM8 6.2v3.3M8 11.4v.1',
  flag: 'M3 14.5V2M3 2.5h8.5L10 5.5l1.5 3H3',
  link: 'M6.8 9.2a3 3 0 0 0 4.2 0l2.3-2.3a3 3 0 0 0-4.2-4.2l-.9.9M9.2 6.8a3 3 0 0 0-4.2 0L2.7 9.1a3 3 0 0 0 4.2 4.2l.9-.9',
  copy: 'M5.5 5.5h7v8h-7zM3.5 10.5h-1v-8h7v1',
  check: 'M3 8.5 6.5 12 13 4.5',
  close: 'M4 4l8 8M12 4l-8 8',
  clock: 'M8 14.5A6.5 6.5 0 1 0 8 1.5a6.5 6.5 0 0 0 0 13ZM8 4.5V8l2.5 1.5',
  send: 'M14.5 1.5 7 9M14.5 1.5 10 14.5 7 9 1.5 6l13-4.5Z',
  file: 'M9.5 1.5H4a1 1 0 0 0-1 1v11a1 1 0 0 0 1 1h8a1 1 0 0 0 1-1V5L9.5 1.5ZM9.5 1.5V5H13',
  layers: 'M8 1.5 14.5 5 8 8.5 1.5 5 8 1.5ZM1.5 8 8 11.5 14.5 8M1.5 11 8 14.5 14.5 11',
  list: 'M5.5 4h9M5.5 8h9M5.5 12h9M2 4h.5M2 8h.5M2 12h.5',
  route: 'M3.5 13.5a2 2 0 1 0 0-.1M12.5 4.5a2 2 0 1 0 0-.1M5.5 13h4.5a2.5 2.5 0 0 0 0-5H6a2.5 2.5 0 0 1 0-5h4.5',
  unlink: 'M10 3.3l.8-.8a3 3 0 0 1 4.2 4.2l-.8.8M6 12.7l-.8.8a3 3 0 0 1-4.2-4.2l.8-.8M2 2l12 12',
  expand: 'M2.5 6 5 3.5 7.5 6M2.5 10 5 12.5 7.5 10M10 5h4M10 8h4M10 11h4',
  collapse: 'M2.5 3.5 5 6l2.5-2.5M2.5 12.5 5 10l2.5 2.5M10 5h4M10 8h4M10 11h4',
  logs: 'M3 2.5h10v11H3zM5.5 5.5h5M5.5 8h5M5.5 10.5h3',
  cube: 'M8 1.5 14 4.8v6.4L8 14.5 2 11.2V4.8L8 1.5ZM2 4.8 8 8l6-3.2M8 8v6.5',
  braces: 'M5.5 2H5a1.5 1.5 0 0 0-1.5 1.5v2.8L2 8l1.5 1.7v2.8A1.5 1.5 0 0 0 5 14h.5M10.5 2h.5a1.5 1.5 0 0 1 1.5 1.5v2.8L14 8l-1.5 1.7v2.8A1.5 1.5 0 0 1 11 14h-.5',
  database: 'M2.5 3.5c0-1.1 2.5-2 5.5-2s5.5.9 5.5 2-2.5 2-5.5 2-5.5-.9-5.5-2ZM2.5 3.5v9c0 1.1 2.5 2 5.5 2s5.5-.9 5.5-2v-9M2.5 8c0 1.1 2.5 2 5.5 2s5.5-.9 5.5-2',
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({ name, size = 16, className, title }: { name: IconName; size?: number; className?: string; title?: string }) {
  return (
    <svg className={`icon ${className ?? ''}`} width={size} height={size} viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth={1.6} strokeLinecap="round" strokeLinejoin="round" aria-hidden={title ? undefined : true} role={title ? 'img' : undefined}>
      {title && <title>{title}</title>}
      <path d={PATHS[name]} />
    </svg>
  );
}
