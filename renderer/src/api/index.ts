import { ApiClient } from './client';
import { resolveConnection } from './connection';

/** The app's one API client. */
export const api = new ApiClient(resolveConnection());
