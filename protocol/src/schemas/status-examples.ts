/** Example payloads of `P/A/status` (birth and will), shared by the AsyncAPI document and docs/events.md. */
export const STATUS_EXAMPLES = {
  birth: {
    online: true,
    agent: 'pbx-101',
    boot_id: '5b0c6c7e-8f7d-4a55-9a51-0f2b2c1d9e01',
    version: '0.1.0',
    started_at: '2026-01-15T10:20:30.000Z',
    capabilities: [
      'agent.info',
      'peers.list',
      'calls.list',
      'cdr.query',
      'recordings.get',
      'extensions.create',
    ],
    pbx: { dialect: '13', asterisk_version: '13.38.3', ami_version: '2.10.6', chan_sip: true, pjsip: false },
  },
  will: {
    online: false,
    agent: 'pbx-101',
    boot_id: '5b0c6c7e-8f7d-4a55-9a51-0f2b2c1d9e01',
    reason: 'connection lost',
  },
} as const;
