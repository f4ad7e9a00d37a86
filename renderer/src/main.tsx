import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './views/App';
// Bundled, not the system's: the UI and its screenshots look the same on every machine.
import '@fontsource-variable/inter';
import '@fontsource-variable/inter/wght-italic.css';
import '@fontsource-variable/jetbrains-mono';
import './styles/base.css';
import './styles/app.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
