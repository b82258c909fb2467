import { describe, expect, it } from 'vitest';
import { cutAtWord } from './transcript-cut';

describe('cutAtWord', () => {
  it('never ends inside a word', () => {
    expect(cutAtWord('hello wonderful world', 0.5)).toBe('hello');
    expect(cutAtWord('hello wonderful world', 0.99)).toBe('hello wonderful');
    expect(cutAtWord('hello wonderful world', 1)).toBe('hello wonderful world');
    expect(cutAtWord('hello', 0.5)).toBe('');
    expect(cutAtWord('hello world', 0)).toBe('');
  });
});
