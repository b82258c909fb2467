import { Injectable } from '@nestjs/common';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const FILES = ['index.html', 'console.js', 'softphone.js', 'console.css'];

/** The console's static files (./web, copied next to the build output by nest-cli assets), read once. */
@Injectable()
export class ConsoleAssets {
  private files?: Map<string, string>;

  get(name: string): string {
    this.files ??= load();
    const file = this.files.get(name);
    if (file === undefined) throw new Error(`console asset ${name} missing`);
    return file;
  }
}

function load(): Map<string, string> {
  const dir = [join(__dirname, 'web'), join(process.cwd(), 'libs', 'console', 'src', 'web')].find((d) => existsSync(join(d, 'index.html')));
  if (!dir) throw new Error('console web assets not found (libs/console/src/web)');
  return new Map(FILES.map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}
