import { describe, expect, it } from 'vitest';
import { redact } from '../../src/dialogues/inspector.js';

describe('inspector redaction', () => {
  it('masks phones and hides names and free text, keeping the shape of the dialogue', () => {
    const context = {
      dialogueId: 'd1',
      phone: '+79161234567',
      fullName: 'Ivanova Anna',
      displayName: 'Anna',
      services: [{ id: 301, name: "Women's haircut" }],
      lastMenu: { options: [{ value: 'svc:301', label: 'Haircut' }] },
      typed: '+7 916 123 45 67',
    };
    const redacted = redact(context) as typeof context;
    expect(redacted.phone).toBe('+7***4567');
    expect(redacted.typed).toBe('+7***4567');
    expect(redacted.fullName).toBe('[redacted]');
    expect(redacted.displayName).toBe('[redacted]');
    expect(redacted.lastMenu.options[0]?.value).toBe('svc:301');
    expect(redacted.dialogueId).toBe('d1');
    expect(JSON.stringify(redacted)).not.toContain('1234567');
  });

  it('redacts the text of an event a client typed', () => {
    expect(redact({ type: 'user.text', text: 'my name is Anna' })).toEqual({
      type: 'user.text',
      text: '[redacted]',
    });
  });
});
