#!/usr/bin/env python3
"""A mail sink for the benchmark: accepts every message over plain SMTP and writes one line per
message received (its Message-ID) to a file, so that a mail sent twice shows as a repeated line.

    python3 bench/smtp_sink.py PORT FILE
"""
import asyncio
import sys


async def session(reader, writer, out):
    def say(line):
        writer.write((line + "\r\n").encode())

    say("220 bench-sink ESMTP")
    await writer.drain()
    while True:
        line = await reader.readline()
        if not line:
            break
        verb = line.decode(errors="replace").strip().split(" ")[0].upper()
        if verb == "EHLO":
            say("250-bench-sink")
            say("250 8BITMIME")
        elif verb == "DATA":
            say("354 go ahead")
            await writer.drain()
            message_id = "-"
            while True:
                data = await reader.readline()
                if not data or data in (b".\r\n", b".\n"):
                    break
                if message_id == "-" and data.lower().startswith(b"message-id:"):
                    message_id = data.split(b":", 1)[1].strip().decode(errors="replace")
            out.write(message_id + "\n")
            out.flush()
            say("250 queued")
        elif verb == "QUIT":
            say("221 bye")
            await writer.drain()
            break
        else:
            # HELO, MAIL, RCPT, RSET, NOOP
            say("250 ok")
        await writer.drain()
    writer.close()


async def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    with open(path, "a", encoding="utf-8") as out:
        server = await asyncio.start_server(
            lambda r, w: session(r, w, out), "127.0.0.1", port
        )
        async with server:
            await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
