import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { restoreSession } from './api';
import './styles.css';

void restoreSession();
createRoot(document.getElementById('root')!).render(<StrictMode><App /></StrictMode>);
