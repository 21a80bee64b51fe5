import { describe, expect, it } from "vitest";
import { lowerFirst, notEnglish, phraseForText } from "../../src/core/text.ts";

describe("caption text", () => {
  it("puts MERR's title-cased AU vocabulary into running text", () => {
    expect(phraseForText("Lid Tightener")).toBe("lid tightener");
    expect(phraseForText("smile, Pleasure")).toBe("smile, pleasure");
    expect(phraseForText("Tighten the lips,Purse the lips")).toBe("tighten the lips, purse the lips");
    expect(phraseForText("Eyes widened")).toBe("eyes widened");
    expect(phraseForText("AU12 Lip Corner Puller")).toBe("AU12 lip corner puller");
    expect(phraseForText("A look of disapprroval")).toBe("a look of disapprroval");
    expect(phraseForText("V-shaped Brows, I think")).toBe("V-shaped brows, I think");
  });
  it("lower-cases only a capitalised first word", () => {
    expect(lowerFirst("Speaks loudly")).toBe("speaks loudly");
    expect(lowerFirst("AU12 fires")).toBe("AU12 fires");
  });
});

describe("English answers", () => {
  it("tells an answer in another language from an English one, quoted subtitles left out", () => {
    expect(notEnglish("坐在灰色的墙前面，面对镜头")).toBe("12 of its 12 letters are not in the Latin script");
    expect(notEnglish("Мужчина сидит перед серой стеной и смотрит в камеру")).toMatch(/not in the Latin script/);
    expect(notEnglish("El hombre está sentado frente a una pared gris y mira hacia la cámara")).toBe("none of its first 14 words is a common English word");
    expect(notEnglish("Der Mann sitzt vor einer grauen Wand und schaut direkt in die Kamera")).toBeUndefined(); // "in": a German answer can pass
    for (const ok of [
      "sitting in front of a grey wall, facing the camera",
      "speaks loudly.",
      "speaks in a loud, tense voice.",
      'In the video, the woman frowns and says "我很生气" (I am angry), which shows that she feels angry.',
      "In the video, he says “Ça va très bien, merci beaucoup mon ami”, smiling, so he feels happy.",
      "Café naïve résumé",
    ]) expect(notEnglish(ok), ok).toBeUndefined();
  });
});
