// The announcement queue: one call at a time, never two voices at once, and never stuck.
//
// Each item ({number, counter, text_zh, text_en, clips}) gets a chime, then its text in each
// language (zh then en by default), the whole repeated `repeat` times. A language is played
// from the clip pack under /display/static/voice/ when the server found it, joined with Web
// Audio (80 ms between clips, as display/voice.py joins them); otherwise by the browser's
// speechSynthesis with a voice of that language (zh-CN for Mandarin); otherwise it is skipped
// (silence). Every step has a time limit, so a missing clip, a blocked AudioContext or a
// speech engine that never answers only costs seconds. When calls pile up, each is said
// once, so the voice keeps up.
//
// Which clips a call is made of comes with the call: the event's announce.clips
// ({chime: [...], zh: [...], en: [...]}, named by hall/domain/announce.py, the one table
// display/voice.py joins from too). This file never names a clip; a call without clips is
// spoken or left silent.

const KEEP = 50; // items kept in the log for tests and diagnostics
const STEP_LIMIT_MS = 15000;
const GAP_S = 0.08; // between clips
const ZH_DIGITS = "零一二三四五六七八九";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function limit(promise, ms, onTimeout) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => {
      if (onTimeout) onTimeout();
      resolve("timeout");
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function units(text) {
  return Array.from(String(text).toUpperCase()).filter((c) => /[0-9A-Z]/.test(c));
}

// the files of one part of a call ("chime", "zh", "en"), as the server named them
export function clipFiles(item, part) {
  const names = (item.clips || {})[part];
  if (!Array.isArray(names) || !names.length) throw new Error(`no ${part} clips for this call`);
  return names.map((n) => `${n}.wav`);
}

// What a speech engine should read: digits one by one, as halls do
export function spokenText(item, lang) {
  const chars = units(item.number);
  if (lang === "zh") {
    const spelled = chars.map((c) => (/[0-9]/.test(c) ? ZH_DIGITS[Number(c)] : c)).join(" ");
    return `请 ${spelled} 号，到 ${item.counter} 号窗口办理`;
  }
  return item.text_en || `Number ${chars.join(" ")}, please go to window ${item.counter}`;
}

export class Announcer {
  // opts: {base: URL of the voice folder, langs: ["zh","en"], repeat, clips: ["zh",…],
  //        chime: bool, speech: bool, onBlocked()}
  constructor(opts) {
    this.base = opts.base;
    this.langs = opts.langs;
    this.repeat = opts.repeat ?? 2;
    this.clips = new Set(opts.clips || []);
    this.chime = Boolean(opts.chime);
    this.speech = opts.speech !== false;
    this.onBlocked = opts.onBlocked;
    this.log = window.hallAnnouncements = window.hallAnnouncements || [];
    this.busy = false;
    this.buffers = new Map();
    this.context = null;
    this.playing = [];
  }

  push(item) {
    this.log.push({ ...item, status: "queued", queuedAt: Date.now() });
    while (this.log.length > KEEP && this.log[0].status === "done") this.log.shift();
    this.run();
  }

  async run() {
    if (this.busy) return;
    this.busy = true;
    try {
      for (;;) {
        const item = this.log.find((i) => i.status === "queued");
        if (!item) break;
        item.status = "playing";
        try {
          await this.play(item);
        } catch (err) {
          console.warn("voice: announcement failed, moving on", err);
        }
        item.status = "done";
      }
    } finally {
      this.busy = false;
    }
  }

  async play(item) {
    if (this.chime) await this.clipsOrNothing(() => clipFiles(item, "chime"));
    // when calls pile up, each is said once so the voice keeps up with the screen
    const behind = this.log.some((i) => i.status === "queued");
    const rounds = behind ? 1 : this.repeat;
    for (let round = 0; round < rounds; round += 1) {
      for (const lang of this.langs) await this.say(item, lang);
      if (round + 1 < rounds) await sleep(600);
    }
  }

  async say(item, lang) {
    if (this.clips.has(lang) && (await this.clipsOrNothing(() => clipFiles(item, lang)))) return;
    if (this.speech) await this.speak(spokenText(item, lang), lang);
  }

  // true when the clips played; false (never an exception) when they could not
  async clipsOrNothing(names) {
    try {
      return (await limit(this.playClips(names()), STEP_LIMIT_MS, () => this.stop())) === true;
    } catch (err) {
      console.info("voice: clips unavailable", names, err && err.message);
      return false;
    }
  }

  audio() {
    if (!this.context) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) throw new Error("no Web Audio");
      this.context = new Ctx();
    }
    return this.context;
  }

  // Called from a click: browsers allow sound only after a gesture (unless the kiosk browser
  // runs with --autoplay-policy=no-user-gesture-required).
  unlock() {
    try {
      this.audio().resume();
    } catch {
      /* no Web Audio: speech only */
    }
  }

  buffer(name) {
    if (!this.buffers.has(name)) {
      const ctx = this.audio();
      const loading = fetch(this.base + name)
        .then((r) => {
          if (!r.ok) throw new Error(`${name}: HTTP ${r.status}`);
          return r.arrayBuffer();
        })
        .then((data) => ctx.decodeAudioData(data));
      loading.catch(() => {}); // a missing clip is remembered, not retried on every call
      this.buffers.set(name, loading);
    }
    return this.buffers.get(name);
  }

  async playClips(names) {
    const ctx = this.audio();
    if (ctx.state !== "running") {
      await limit(ctx.resume(), 300);
      if (ctx.state !== "running") {
        if (this.onBlocked) this.onBlocked();
        throw new Error("audio blocked until the screen is touched");
      }
    }
    const buffers = await Promise.all(names.map((n) => this.buffer(n)));
    let at = ctx.currentTime + 0.05;
    this.playing = buffers.map((b) => {
      const source = ctx.createBufferSource();
      source.buffer = b;
      source.connect(ctx.destination);
      source.start(at);
      at += b.duration + GAP_S;
      return source;
    });
    await sleep((at - ctx.currentTime) * 1000 + 150);
    this.playing = [];
    return true;
  }

  stop() {
    for (const s of this.playing) {
      try {
        s.stop();
      } catch {
        /* already stopped */
      }
    }
    this.playing = [];
    if (window.speechSynthesis) window.speechSynthesis.cancel();
  }

  async voiceFor(lang) {
    const synth = window.speechSynthesis;
    if (!synth) return null;
    if (!this.voicesLoaded) {
      // Chrome fills the list asynchronously; wait for it once, not on every call
      this.voicesLoaded = synth.getVoices().length ? Promise.resolve() : limit(
        new Promise((resolve) => synth.addEventListener("voiceschanged", resolve,
                                                        { once: true })), 1500);
    }
    await this.voicesLoaded;
    const voices = synth.getVoices();
    const prefix = lang === "zh" ? "zh" : "en";
    const exact = lang === "zh" ? /^zh[-_](CN|Hans)/i : /^en[-_]/i;
    return voices.find((v) => exact.test(v.lang)) ||
      voices.find((v) => v.lang.toLowerCase().startsWith(prefix)) || null;
  }

  async speak(text, lang) {
    const voice = await this.voiceFor(lang);
    if (!voice) return false; // no voice for this language: silence rather than gibberish
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.voice = voice;
    utterance.lang = voice.lang;
    utterance.rate = lang === "zh" ? 0.9 : 0.95;
    const spoken = new Promise((resolve) => {
      utterance.onend = () => resolve(true);
      utterance.onerror = (e) => {
        if (e.error === "not-allowed" && this.onBlocked) this.onBlocked();
        resolve(false);
      };
    });
    window.speechSynthesis.speak(utterance);
    return limit(spoken, STEP_LIMIT_MS, () => window.speechSynthesis.cancel());
  }
}

export function announcerFromDataset(ds, staticBase, onBlocked) {
  const langs = (ds.voiceLangs || "").split(/\s+/).filter(Boolean);
  return new Announcer({
    base: `${staticBase}voice/`,
    langs,
    repeat: Number.parseInt(ds.voiceRepeat || "2", 10),
    clips: (ds.voiceClips || "").split(/\s+/).filter(Boolean),
    chime: ds.voiceChime === "1",
    speech: ds.voiceSpeech !== "0",
    onBlocked,
  });
}
