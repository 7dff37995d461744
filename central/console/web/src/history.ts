/** A case's history entries as sentences with names: "值班员 王敏 派遣，派往 市环卫处：…". */
import { label, t } from './i18n';
import { session, unitName, userName } from './session';

/** An action's name from central's transition table (meta.json), in the current language. */
export const actionName = (a: string): string => label(session.meta?.transitions[a], a);

/** edge notes are English machine text ("cause gone at …"): the sentence says it instead */
const machineNote = (n?: string) => !n || /^(cause gone|incident|rev \d)/i.test(n);

/**
 * The unit a dispatch or rework entry sent the case to: central's `sentTo` (cases/model.ts,
 * `DispatchData.unitId`); the console cannot import central's modules, so its rule is here.
 */
export function sentTo(h: { action: string; data?: { unitId?: unknown } }): string | undefined {
  if (h.action !== 'dispatch' && h.action !== 'rework') return undefined;
  return typeof h.data?.unitId === 'string' ? h.data.unitId : undefined;
}

export function sentence(h: any): string {
  const who = userName(h.actor?.id, h.actor?.role);
  let s: string;
  switch (h.action) {
    case 'report':
      s = t('hReport', { who });
      break;
    case 'incident_update':
      return t('hIncidentUpdate');
    case 'incident_end':
      return t('hIncidentEnd');
    case 'evaluate':
      return t('hEvaluate', { ok: h.data?.onTime ? t('hOk') : t('hLate') });
    case 'merged_in':
      s = t('hMergedIn', { who });
      break;
    default: {
      s = t('hAction', { who, action: actionName(h.action) });
      const unit = sentTo(h);
      if (unit) s += t('hToUnit', { u: unitName(unit) });
    }
  }
  if (!machineNote(h.note)) s += t('hNote', { n: h.note });
  return s;
}
