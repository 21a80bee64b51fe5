import { describe, expect, it } from "vitest";
import { lowerFirst, phraseForText } from "../../src/core/text.ts";

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
