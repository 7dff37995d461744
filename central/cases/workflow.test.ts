/** workflow - the transition table: roles, own unit, states. */
import { describe, expect, it } from 'vitest';
import { ROLES } from '../auth/roles.js';
import { REJECT_REASON_LABELS, REJECT_REASONS, SOURCES } from './model.js';
import { ACTIONS, CASE_STATE_NAMES, CASE_STATES, checkTransition, isOpen, TRANSITIONS } from './workflow.js';

describe('workflow - table', () => {
  it('names only known states and roles', () => {
    for (const a of ACTIONS) {
      const t = TRANSITIONS[a];
      for (const s of t.from) expect(CASE_STATE_NAMES).toContain(s);
      if (t.to !== 'previous') expect(CASE_STATE_NAMES).toContain(t.to);
      for (const r of t.roles) expect(Object.keys(ROLES)).toContain(r);
    }
  });
  it('has no way out of a finished case', () => {
    for (const s of CASE_STATE_NAMES.filter((x) => !isOpen(x)))
      for (const a of ACTIONS) expect(TRANSITIONS[a].from, `${a} from ${s}`).not.toContain(s);
  });
  it('every open state has a way forward', () => {
    for (const s of CASE_STATE_NAMES.filter(isOpen))
      expect(
        ACTIONS.some((a) => TRANSITIONS[a].from.includes(s)),
        s,
      ).toBe(true);
    expect(CASE_STATES.reported.step).toBe(1);
  });
});

describe('workflow - names', () => {
  it('names every state, action, source and reject reason in Chinese and English', () => {
    const tables = { CASE_STATES, TRANSITIONS, SOURCES, REJECT_REASON_LABELS, ROLES };
    for (const [name, table] of Object.entries(tables))
      for (const [key, l] of Object.entries<{ zh?: string; en?: string }>(table))
        expect(l.zh && l.en && l.zh !== l.en, `${name}.${key}`).toBeTruthy();
    expect(Object.keys(REJECT_REASON_LABELS)).toEqual([...REJECT_REASONS]);
  });
});

describe('workflow - checkTransition', () => {
  it('refuses the wrong role (403), another unit (403) and the wrong state (409)', () => {
    expect(checkTransition('register', 'reported', { role: 'operator' }, undefined)).toEqual({
      ok: true,
      to: 'registered',
    });
    expect(checkTransition('register', 'reported', { role: 'collector' }, undefined)).toMatchObject({
      ok: false,
      status: 403,
    });
    expect(
      checkTransition('accept', 'dispatched', { role: 'unit_handler', unitId: 'hwc' }, 'zfzd'),
    ).toMatchObject({
      ok: false,
      status: 403,
    });
    expect(
      checkTransition('accept', 'processing', { role: 'unit_handler', unitId: 'hwc' }, 'hwc'),
    ).toMatchObject({
      ok: false,
      status: 409,
    });
    expect(checkTransition('resume', 'suspended', { role: 'leader' }, undefined)).toEqual({
      ok: true,
      to: 'previous',
    });
  });
});
