// Events: status changes, silences and flapping across all agents, newest first.

import { viewFrame } from '../dom.js';
import { eventList } from './event-list.js';

export function eventsView(root) {
  const frame = viewFrame(root, 'Events');
  const list = eventList({}, { pageSize: 100 });
  frame.body.replaceChildren(list.el);
  return {
    frame,
    load: list.load,
    onMessage(type, data) {
      if (type === 'event') list.add(data);
    },
    tick: list.render,
  };
}
