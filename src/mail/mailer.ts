import { promises as fs } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Images the HTML shows as cid:… (mail clients block outside images and most data: ones). */
  inlineImages?: { cid: string; filename: string; contentType: string; content: Buffer }[];
}

export interface Mailer {
  /** Sends one message; resolves to its Message-ID. */
  send(mail: OutgoingMail): Promise<string>;
}

const nodemailerMessage = ({ inlineImages, ...mail }: OutgoingMail) => ({
  ...mail,
  attachments: inlineImages?.map((image) => ({ ...image, contentDisposition: 'inline' as const })),
});

/** Real SMTP when SMTP_URL is set; otherwise each message is written as an .eml file to the outbox folder. */
export function createMailer({ smtpUrl, from, outboxFolder }: { smtpUrl?: string; from: string; outboxFolder: string }): Mailer {
  if (smtpUrl) {
    const transport = nodemailer.createTransport(smtpUrl);
    return {
      async send(mail) {
        const info = await transport.sendMail({ from, ...nodemailerMessage(mail) });
        return info.messageId;
      },
    };
  }
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(mail) {
      const info = await transport.sendMail({ from, ...nodemailerMessage(mail) });
      await fs.mkdir(outboxFolder, { recursive: true });
      const safeName = `${new Date().toISOString().replace(/[:.]/g, '-')}-${mail.to.replace(/[^a-z0-9@.-]/gi, '_')}.eml`;
      await fs.writeFile(path.join(outboxFolder, safeName), info.message as Buffer);
      return info.messageId;
    },
  };
}
