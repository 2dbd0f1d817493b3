package org.minidiffusion.demos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Checks the conventions that make the modules publishable: every module's artifactId is
 * {@code minidiffusion-} plus its directory's name, and the BOM ({@code bom/pom.xml}, which has no
 * parent) lists every published module, at the parent's version, with the parent's metadata.
 */
class PublishingTests {
    private static final String GROUP = "org.minidiffusion";
    private static final String PREFIX = "minidiffusion-";
    private static final Path ROOT = ReactorModules.ROOT;

    @Test
    void everyArtifactIdIsThePrefixAndTheDirectoryName() throws Exception {
        Element parent = pom(ROOT);
        assertEquals(PREFIX + "parent", text(parent, "artifactId"));
        for (String dir : ReactorModules.all()) {
            Element pom = pom(ROOT.resolve(dir));
            assertEquals(PREFIX + Path.of(dir).getFileName(), text(pom, "artifactId"), dir + "/pom.xml");
        }
    }

    @Test
    void everyJarModuleInheritsTheParentAtItsVersion() throws Exception {
        String version = text(pom(ROOT), "version");
        for (String dir : ReactorModules.jarModules()) {
            Element parent = child(pom(ROOT.resolve(dir)), "parent");
            assertTrue(parent != null, dir + "/pom.xml has no <parent>");
            assertEquals(PREFIX + "parent", text(parent, "artifactId"), dir + "/pom.xml");
            assertEquals(version, text(parent, "version"), dir + "/pom.xml");
        }
    }

    @Test
    void theBomListsEveryPublishedModuleAtTheParentsVersion() throws Exception {
        Element bom = pom(ROOT.resolve("bom"));
        assertNull(child(bom, "parent"), "an imported BOM brings its parent's dependencyManagement too: no <parent>");
        assertEquals("pom", text(bom, "packaging"));
        assertEquals(text(pom(ROOT), "version"), text(bom, "version"), "bom/pom.xml and pom.xml");

        TreeSet<String> published = new TreeSet<>();
        for (String dir : ReactorModules.jarModules()) {
            Element pom = pom(ROOT.resolve(dir));
            Element properties = child(pom, "properties");
            if (!"true".equals(properties == null ? null : text(properties, "maven.deploy.skip"))) {
                published.add(text(pom, "artifactId"));
            }
        }
        assertFalse(published.contains(PREFIX + "demos"), "demos is an application and is not deployed");
        TreeSet<String> inBom = ownManagedModules(bom);
        assertEquals(published, inBom, "bom/pom.xml must list exactly the deployed modules; missing "
                + minus(published, inBom) + ", not deployed " + minus(inBom, published));
        TreeSet<String> inParent = ownManagedModules(pom(ROOT));
        assertEquals(published, inParent, "pom.xml's dependencyManagement must list the same modules as bom/pom.xml; "
                + "missing " + minus(published, inParent) + ", not deployed " + minus(inParent, published));
    }

    @Test
    void theBomHasTheParentsMetadata() throws Exception {
        Element parent = pom(ROOT);
        Element bom = pom(ROOT.resolve("bom"));
        for (String element : List.of("url", "inceptionYear", "licenses", "developers", "scm")) {
            assertTrue(child(parent, element) != null, "pom.xml lacks <" + element + ">, which Maven Central needs");
            assertEquals(flat(child(parent, element)), flat(child(bom, element)),
                    "<" + element + "> of bom/pom.xml differs from pom.xml's");
        }
        for (String element : List.of("name", "description")) {
            assertFalse(text(bom, element).isBlank(), "bom/pom.xml lacks <" + element + ">");
        }
        assertEquals(text(child(parent, "properties"), "project.build.outputTimestamp"),
                text(child(bom, "properties"), "project.build.outputTimestamp"), "project.build.outputTimestamp");
    }

    // ------------------------------------------------------------------ helpers

    /** Returns the artifactIds that a pom's dependencyManagement pins for org.minidiffusion, each at ${project.version}. */
    private static TreeSet<String> ownManagedModules(Element pom) {
        Map<String, String> versions = new TreeMap<>();
        for (Element dependency : children(child(child(pom, "dependencyManagement"), "dependencies"), "dependency")) {
            if (GROUP.equals(text(dependency, "groupId"))) {
                versions.put(text(dependency, "artifactId"), text(dependency, "version"));
            }
        }
        versions.forEach((artifact, version) -> assertEquals("${project.version}", version, artifact));
        return new TreeSet<>(versions.keySet());
    }

    private static TreeSet<String> minus(TreeSet<String> a, TreeSet<String> b) {
        TreeSet<String> difference = new TreeSet<>(a);
        difference.removeAll(b);
        return difference;
    }

    private static Element pom(Path dir) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return factory.newDocumentBuilder().parse(dir.resolve("pom.xml").toFile()).getDocumentElement();
    }

    private static Element child(Element parent, String name) {
        List<Element> found = children(parent, name);
        return found.isEmpty() ? null : found.get(0);
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> found = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                found.add(e);
            }
        }
        return found;
    }

    private static String text(Element parent, String name) {
        Element e = child(parent, name);
        return e == null ? null : e.getTextContent().trim();
    }

    /** The text of an element with its whitespace collapsed, to compare two poms' copies. */
    private static String flat(Element e) {
        return e == null ? null : e.getTextContent().replaceAll("\\s+", " ").trim();
    }
}
