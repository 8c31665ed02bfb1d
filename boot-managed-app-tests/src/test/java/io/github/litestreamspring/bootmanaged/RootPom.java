package io.github.litestreamspring.bootmanaged;

import java.nio.file.Path;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathFactory;

import org.w3c.dom.Document;

/** Reads the reactor's root pom (the starter's build), whose versions this module must follow. */
final class RootPom {

	private final Document pom;

	private RootPom(Document pom) {
		this.pom = pom;
	}

	static RootPom read() throws Exception {
		Path path = Path.of(System.getProperty("root.pom", "../pom.xml"));
		return new RootPom(DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(path.toFile()));
	}

	String property(String name) throws Exception {
		return value("/project/properties/" + name);
	}

	String version() throws Exception {
		return value("/project/version");
	}

	private String value(String xpath) throws Exception {
		String value = XPathFactory.newInstance().newXPath().evaluate(xpath, this.pom).trim();
		if (value.isEmpty()) {
			throw new IllegalStateException("the root pom has no " + xpath);
		}
		return value;
	}

}
