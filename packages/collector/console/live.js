// The live feed: /api/v1/stream as Server-Sent Events.
//
// EventSource reconnects by itself after a dropped connection ("reconnecting"). It gives
// up for good when the server answers with an error status (e.g. a wrong token, or a
// collector without the stream), so then we reopen it ourselves with a bounded back-off
// and the app polls in the meantime ("offline").

import { getToken } from './api.js';

const TYPES = ['check', 'check_forgotten', 'agent', 'event', 'segmentation'];
const REOPEN_MIN_MS = 2_000;
const REOPEN_MAX_MS = 30_000;

/**
 * @param {{ onMessage: (type: string, data: object) => void,
 *           onState: (state: 'connecting' | 'live' | 'reconnecting' | 'offline') => void,
 *           onResync: () => void }} handlers
 *   onResync runs when the stream is back after an interruption: messages may have been missed.
 * @returns {{ reopen: () => void }} reopen starts over, e.g. with a new token.
 */
export function connectLive({ onMessage, onState, onResync }) {
  let reopenMs = REOPEN_MIN_MS;
  let interrupted = false;
  let source = null;
  let timer = null;

  const open = () => {
    clearTimeout(timer);
    // EventSource cannot send an Authorization header; the stream takes the token as a parameter.
    const token = getToken();
    const es = new EventSource(token ? `/api/v1/stream?access_token=${encodeURIComponent(token)}` : '/api/v1/stream');
    source = es;
    es.addEventListener('open', () => {
      reopenMs = REOPEN_MIN_MS;
      onState('live');
      if (interrupted) onResync();
      interrupted = false;
    });
    es.addEventListener('error', () => {
      if (es !== source) return; // replaced by reopen()
      interrupted = true;
      if (es.readyState !== EventSource.CLOSED) {
        onState('reconnecting');
        return;
      }
      onState('offline');
      timer = setTimeout(open, reopenMs);
      reopenMs = Math.min(reopenMs * 2, REOPEN_MAX_MS);
    });
    for (const type of TYPES) es.addEventListener(type, (e) => deliver(type, e.data));
  };

  const deliver = (type, text) => {
    let data;
    try {
      data = JSON.parse(text);
    } catch {
      return; // a malformed message is not worth breaking the page for
    }
    onMessage(type, data);
  };

  onState('connecting');
  open();
  return {
    reopen() {
      source?.close();
      reopenMs = REOPEN_MIN_MS;
      onState('connecting');
      open();
    },
  };
}
