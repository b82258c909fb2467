#!/usr/bin/env bash
# Renders the embedded simulator's phrases and the demo caller's utterance as 8 kHz mono µ-law WAV.
# Run once by hand (needs espeak-ng and sox: apt-get install -y espeak-ng sox); the output is
# committed, so neither tool is needed to build, test or run the gateway.
set -euo pipefail
cd "$(dirname "$0")/../libs/simulators/assets/voice"
render() { # <file> <voice> <text>
  espeak-ng -v "$2" -s 160 -w /tmp/render-voice.wav "$3"
  sox /tmp/render-voice.wav -r 8000 -c 1 -e u-law -b 8 "$1" norm -3 pad 0 0.05
}
render greeting.wav en-us 'Hello! This is the simulated assistant. How can I help you today?'
render reply-1.wav en-us 'Thanks, I heard you. This is a simulated answer from the gateway.'
render reply-2.wav en-us 'Got it. Ask me something else, or hang up when you are done.'
render reply-3.wav en-us 'I am still here, and I am still only a simulator.'
render caller-hello.wav en-gb 'Hi there! What time do you open tomorrow?'
rm -f /tmp/render-voice.wav
