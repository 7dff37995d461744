/** A case's history entries as sentences with names: "值班员 王敏 派遣，派往 市环卫处：…". */
import { lang, t } from './i18n';
import { session, unitName, userName } from './session';

const ACTION: Record<string, { zh: string; en: string }> = {
  register: { zh: '立案', en: 'registered it' },
  reject: { zh: '不予立案', en: 'rejected it' },
  merge: { zh: '合并', en: 'merged it' },
  dispatch: { zh: '派遣', en: 'dispatched it' },
  accept: { zh: '签收', en: 'accepted it' },
  return: { zh: '回退', en: 'returned it' },
  request_extension: { zh: '申请延期', en: 'asked for more time' },
  approve_extension: { zh: '批准延期', en: 'approved the extension' },
  refuse_extension: { zh: '驳回延期', en: 'refused the extension' },
  feedback: { zh: '处理反馈', en: 'reported it done' },
  close: { zh: '核查结案', en: 'verified and closed it' },
  rework: { zh: '要求返工', en: 'sent it back for rework' },
  suspend: { zh: '挂账', en: 'suspended it' },
  resume: { zh: '恢复办理', en: 'resumed it' },
  cancel: { zh: '作废', en: 'cancelled it' },
};
export function actionName(a: string): string {
  const x = ACTION[a];
  if (!x) return a;
  return lang.value === 'en' ? x.en : x.zh;
}
/** the label of an action button */
export function actionButton(a: string): string {
  const tr = session.meta?.transitions[a];
  if (lang.value === 'en') return (ACTION[a]?.en ?? a).replace(/ it$/, '').replace(/^\w/, (c) => c.toUpperCase());
  return tr?.zh ?? ACTION[a]?.zh ?? a;
}

/** edge notes are English machine text ("cause gone at …"): the sentence says it instead */
const machineNote = (n?: string) => !n || /^(cause gone|incident|rev \d)/i.test(n);

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
    default:
      s = t('hAction', { who, action: actionName(h.action) });
      if (h.action === 'dispatch' && h.data?.unitId) s += t('hToUnit', { u: unitName(String(h.data.unitId)) });
  }
  if (!machineNote(h.note)) s += t('hNote', { n: h.note });
  return s;
}
