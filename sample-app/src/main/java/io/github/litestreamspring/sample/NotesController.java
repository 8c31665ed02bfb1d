package io.github.litestreamspring.sample;

import java.util.List;
import java.util.Map;

import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * Notes stored in SQLite: every POST is a committed transaction that the starter ships to S3.
 */
@RestController
class NotesController {

	private final JdbcTemplate jdbc;

	NotesController(JdbcTemplate jdbc) {
		this.jdbc = jdbc;
	}

	@GetMapping("/notes")
	List<Map<String, Object>> notes() {
		return this.jdbc.queryForList("SELECT id, body, created_at FROM notes ORDER BY id");
	}

	@PostMapping("/notes")
	@ResponseStatus(HttpStatus.CREATED)
	Map<String, Object> add(@RequestBody String body) {
		this.jdbc.update("INSERT INTO notes (body) VALUES (?)", body);
		return this.jdbc.queryForMap("SELECT id, body, created_at FROM notes WHERE id = last_insert_rowid()");
	}

}
