// Records every module the process loads (used to check that reading commands stay light).
import { register } from 'node:module';
register('./trace-imports-hooks.mjs', import.meta.url);
