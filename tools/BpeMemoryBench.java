import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.minidiffusion.text.ByteLevelBpe;
import org.minidiffusion.text.internal.BpeModel;
import org.minidiffusion.text.internal.ByteUnicode;
import org.minidiffusion.text.internal.Json;
import org.minidiffusion.text.internal.PreTokenizer;
import org.minidiffusion.text.internal.TextFiles;
import org.minidiffusion.text.internal.Utf8;

/**
 * Measures, once, the heap of the loaded GPT-2 vocabulary and the encode throughput of modules/text
 * (Eclipse Collections primitive maps) against a boxed version (HashMap<String, Integer> for the
 * vocabulary, HashMap<String, Integer> keyed "left right" for the ranks, as GPT-2's encoder.py).
 * Not a test: run on the class path after `mvn -o -q package -pl modules/text -DskipTests`:
 *
 *   EC=~/.m2/repository/org/eclipse/collections
 *   java -XX:+UseSerialGC -Xmx2g -cp modules/text/target/classes:$EC/eclipse-collections/13.0.0/eclipse-collections-13.0.0.jar:$EC/eclipse-collections-api/13.0.0/eclipse-collections-api-13.0.0.jar \
 *        tools/BpeMemoryBench.java modules/text/src/test/resources/corpus.txt
 */
public class BpeMemoryBench {
    /** The boxed version: GPT-2's encoder.py with Java collections. */
    static final class Boxed {
        final Map<String, Integer> encoder = new HashMap<>();
        final Map<Integer, String> decoder = new HashMap<>(); // for decode, as encoder.py's self.decoder
        final Map<String, Integer> ranks = new HashMap<>();
        final Map<String, int[]> cache = new HashMap<>();

        Boxed(String vocab, String merges) throws Exception {
            for (Map.Entry<?, ?> e : ((Map<?, ?>) Json.parse(vocab)).entrySet()) {
                encoder.put((String) e.getKey(), ((Long) e.getValue()).intValue());
                decoder.put(((Long) e.getValue()).intValue(), (String) e.getKey());
            }
            String[] lines = merges.split("\n");
            for (int i = 1; i < lines.length; i++) {
                ranks.put(lines[i], i - 1);
            }
        }

        int[] word(String piece, boolean useCache) {
            int[] hit = useCache ? cache.get(piece) : null;
            if (hit != null) {
                return hit;
            }
            byte[] bytes = Utf8.encode(piece, 0, piece.length(), true);
            List<String> word = new ArrayList<>();
            for (byte b : bytes) {
                word.add(String.valueOf(ByteUnicode.charOf(b & 0xFF)));
            }
            while (word.size() > 1) {
                int best = Integer.MAX_VALUE;
                int at = -1;
                for (int i = 0; i + 1 < word.size(); i++) {
                    Integer r = ranks.get(word.get(i) + " " + word.get(i + 1));
                    if (r != null && r < best) {
                        best = r;
                        at = i;
                    }
                }
                if (at < 0) {
                    break;
                }
                String a = word.get(at);
                String b = word.get(at + 1);
                List<String> merged = new ArrayList<>();
                for (int i = 0; i < word.size(); ) {
                    if (i + 1 < word.size() && word.get(i).equals(a) && word.get(i + 1).equals(b)) {
                        merged.add(a + b);
                        i += 2;
                    } else {
                        merged.add(word.get(i++));
                    }
                }
                word = merged;
            }
            int[] ids = new int[word.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = encoder.get(word.get(i));
            }
            if (useCache) {
                cache.put(piece, ids);
            }
            return ids;
        }

        /** Encodes into a boxed list, as encoder.py's {@code bpe_tokens.extend(...)}. */
        List<Integer> encode(String text, boolean useCache) {
            List<Integer> out = new ArrayList<>();
            for (String piece : PreTokenizer.gpt2(text, PreTokenizer.Whitespace.UNICODE)) {
                for (int id : word(piece, useCache)) {
                    out.add(id);
                }
            }
            return out;
        }
    }

    static long usedHeap() {
        for (int i = 0; i < 5; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static String bundled(String name) throws Exception {
        return TextFiles.read(Path.of(name), ByteLevelBpe.class.getResourceAsStream("gpt2/" + name), true);
    }

    public static void main(String[] args) throws Exception {
        String vocab = bundled("encoder.json.gz");
        String merges = bundled("vocab.bpe.gz");
        long base = usedHeap();
        BpeModel model = BpeModel.parse(Path.of("encoder.json"), vocab, Path.of("vocab.bpe"), merges, false);
        long primitive = usedHeap() - base;
        Boxed boxed = new Boxed(vocab, merges);
        long boxedHeap = usedHeap() - base - primitive;
        System.out.printf("heap of the loaded GPT-2 vocabulary + merges: primitive maps %.1f MB, boxed maps %.1f MB%n",
                primitive / 1e6, boxedHeap / 1e6);

        String corpus = Files.readString(Path.of(args[0]), StandardCharsets.UTF_8);
        String text = corpus.repeat(Math.max(1, 4_000_000 / corpus.length()));
        double mb = text.getBytes(StandardCharsets.UTF_8).length / 1e6;
        ByteLevelBpe ours = ByteLevelBpe.gpt2();
        // Cold words: every piece goes through the merges (no cache), in both versions; best of 7
        // interleaved runs, because the machine is shared.
        List<String> pieces = PreTokenizer.gpt2(text, PreTokenizer.Whitespace.UNICODE);
        double[] best = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
        long tokens = 0;
        for (int rep = 0; rep < 7; rep++) {
            long t0 = System.nanoTime();
            long n = 0;
            for (String p : pieces) {
                byte[] bytes = Utf8.encode(p, 0, p.length(), true);
                int[] w = new int[bytes.length];
                for (int i = 0; i < w.length; i++) {
                    w[i] = model.id(String.valueOf(ByteUnicode.charOf(bytes[i] & 0xFF)));
                }
                n += model.merge(w);
            }
            long t1 = System.nanoTime();
            long m = 0;
            for (String p : pieces) {
                m += boxed.word(p, false).length;
            }
            long t2 = System.nanoTime();
            int[] e = ours.encode(text);
            long t3 = System.nanoTime();
            List<Integer> f = boxed.encode(text, true);
            long t4 = System.nanoTime();
            boolean same = n == m && e.length == f.size();
            for (int i = 0; same && i < e.length; i++) {
                same = e[i] == f.get(i);
            }
            if (!same) {
                throw new AssertionError("the versions disagree");
            }
            tokens = n;
            best[0] = Math.min(best[0], (t1 - t0) / 1e9);
            best[1] = Math.min(best[1], (t2 - t1) / 1e9);
            best[2] = Math.min(best[2], (t3 - t2) / 1e9);
            best[3] = Math.min(best[3], (t4 - t3) / 1e9);
        }
        System.out.printf("%.1f MB of corpus.txt, %d tokens, best of 7: merges without the word cache %.2f MB/s primitive"
                + " vs %.2f MB/s boxed; encode with the word cache %.2f MB/s primitive vs %.2f MB/s boxed%n",
                mb, tokens, mb / best[0], mb / best[1], mb / best[2], mb / best[3]);
        System.out.println(model.idRange() + " " + boxed.encoder.size()); // keep both alive to the end
    }
}
