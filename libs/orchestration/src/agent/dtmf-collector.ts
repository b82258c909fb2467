/**
 * Gathers keypad presses into one entry: digits closer together than the window are sent
 * together; `#` ends an entry at once.
 */
export class DtmfCollector {
  private digits = '';
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly windowMs: number,
    private readonly onEntry: (digits: string) => void,
  ) {}

  press(digit: string): void {
    if (!/^[0-9*#A-D]$/.test(digit)) return;
    this.digits += digit;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (digit === '#' || this.windowMs === 0) return this.flush();
    this.timer = setTimeout(() => this.flush(), this.windowMs);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.digits = '';
  }

  private flush(): void {
    this.timer = undefined;
    const digits = this.digits;
    this.digits = '';
    if (digits) this.onEntry(digits);
  }
}
