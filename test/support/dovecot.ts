import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';

// A throwaway Dovecot IMAP server for tests: its own configuration, port, mail folder and users
// (a passwd-file), started as a child process and deleted afterwards. Needs Debian's dovecot-imapd.

export interface Dovecot {
  host: string;
  port: number;
  stop(): Promise<void>;
}

const dovecotBinary = '/usr/sbin/dovecot';

function waitForGreeting(port: number, deadline: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('data', (data) => {
        socket.destroy();
        if (data.toString().startsWith('* OK')) resolve();
        else retry();
      });
      socket.once('error', retry);
    };
    const retry = () => (Date.now() > deadline ? reject(new Error('Dovecot did not start')) : setTimeout(attempt, 100));
    attempt();
  });
}

/** Starts Dovecot with these users (address → password); mail lives in a temporary folder. */
export async function startDovecot(users: Record<string, string>): Promise<Dovecot> {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'buychain-dovecot-'));
  chmodSync(folder, 0o755);
  const home = path.join(folder, 'home');
  mkdirSync(home);
  // Mail is never stored as root: as root, the mail files belong to "nobody".
  const runningAsRoot = process.getuid?.() === 0;
  const [uid, gid] = runningAsRoot ? [65534, 65534] : [process.getuid!(), process.getgid!()];
  if (runningAsRoot) chownSync(home, uid, gid);
  const port = await freePort();
  // Readable by Dovecot's unprivileged auth worker; the passwords are throwaway test values.
  writeFileSync(path.join(folder, 'users'), Object.entries(users).map(([user, password]) => `${user}:{PLAIN}${password}`).join('\n') + '\n', { mode: 0o644 });
  writeFileSync(
    path.join(folder, 'dovecot.conf'),
    `protocols = imap
listen = 127.0.0.1
base_dir = ${folder}/run
state_dir = ${folder}/state
instance_name = buychain-test-${path.basename(folder)}
log_path = ${folder}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
${runningAsRoot ? 'default_internal_user = dovecot\ndefault_login_user = dovenull' : `default_internal_user = ${os.userInfo().username}\ndefault_login_user = ${os.userInfo().username}`}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${folder}/users
}
userdb {
  driver = static
  args = uid=${uid} gid=${gid} home=${home}/%u
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
`,
  );
  const child: ChildProcess = spawn(dovecotBinary, ['-F', '-c', path.join(folder, 'dovecot.conf')], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForGreeting(port, Date.now() + 30_000);
  } catch (error) {
    child.kill('SIGTERM');
    let log = '';
    try {
      log = readFileSync(path.join(folder, 'dovecot.log'), 'utf8');
    } catch {}
    throw new Error(`${(error as Error).message}: ${log}`);
  }
  return {
    host: '127.0.0.1',
    port,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
