/** A port nothing listens on right now, on 127.0.0.1, for a server a test starts (nginx, MariaDB, a child API). */
export { freeLoopbackPort as freePort } from '../../workers/metrics';
