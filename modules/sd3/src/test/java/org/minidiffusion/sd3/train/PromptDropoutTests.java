package org.minidiffusion.sd3.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.minidiffusion.core.api.Rng;

/** Caption dropout for classifier-free guidance. */
class PromptDropoutTests {
    @Test
    void dropsEachCaptionWithItsOwnDrawOfTheGenerator() {
        List<String> captions = Collections.nCopies(2000, "a bag");
        List<String> out = new PromptDropout(0.1).apply(captions, new Rng(3));
        Rng same = new Rng(3);
        for (int i = 0; i < captions.size(); i++) {
            assertEquals(same.nextDouble() < 0.1 ? "" : "a bag", out.get(i), "caption " + i);
        }
        long dropped = out.stream().filter(String::isEmpty).count();
        assertTrue(dropped > 140 && dropped < 260, dropped + " of 2000 dropped at p = 0.1");
        assertEquals(captions, new PromptDropout(0).apply(captions, new Rng(3)));
    }

    @Test
    void theProbabilityIsChecked() {
        assertThrows(IllegalArgumentException.class, () -> new PromptDropout(1));
        assertThrows(IllegalArgumentException.class, () -> new PromptDropout(-0.1));
        assertThrows(IllegalArgumentException.class, () -> new PromptDropout(Double.NaN));
        assertEquals(0.1, PromptDropout.DEFAULT_PROBABILITY);
    }
}
