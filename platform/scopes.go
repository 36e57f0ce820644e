package platform

// Scopes Kiln knows, named as Appwrite names them.
var Scopes = []string{
	"functions.read", "functions.write",
	"execution.read", "execution.write",
	"sites.read", "sites.write",
	"log.read", "log.write",
	"projects.read", "projects.write",
	"keys.read", "keys.write",
	"health.read",
	"users.read", "users.write",
}
