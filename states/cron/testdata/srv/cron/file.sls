alice-tab:
  cron.file:
    - name: salt://cron/files/alice.tab
    - user: alice

root-tab-template:
  cron.file:
    - name: salt://cron/files/root.tab.jinja
    - template: jinja
    - context:
        hour: 3

bad-tab:
  cron.file:
    - name: salt://cron/files/bad.tab
    - user: carol

missing-source:
  cron.file:
    - name: salt://cron/files/missing.tab
    - user: alice

no-such-user:
  cron.file:
    - name: salt://cron/files/alice.tab
    - user: nosuchuser
