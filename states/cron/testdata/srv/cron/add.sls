job-with-id:
  cron.present:
    - name: /usr/local/bin/backup --all
    - identifier: backup
    - minute: 5
    - hour: 2
    - comment: nightly backup

reboot-job:
  cron.present:
    - name: /usr/local/bin/onboot
    - special: '@reboot'

mailto:
  cron.env_present:
    - name: MAILTO
    - value: ops@example.com

alice-job:
  cron.present:
    - name: echo hello
    - user: alice
    - minute: '*/10'

plain-job:
  cron.present:
    - name: /bin/true
    - dayweek: 1
    - commented: True

bad-minute:
  cron.present:
    - name: /bin/bad
    - minute: 61

bad-garbage:
  cron.present:
    - name: /bin/garbage
    - hour: xx

no-such-user:
  cron.present:
    - name: /bin/true
    - user: nosuchuser

int-identifier:
  cron.present:
    - name: /bin/int-id
    - identifier: 42
    - special: '@hourly'

env-int:
  cron.env_present:
    - name: RETRIES
    - value: 3
