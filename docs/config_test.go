// Package docs holds the repository's documentation and the tests that keep
// it true to the code.
package docs

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The code side of docs/config.md is read from the Go sources with go/ast:
// every Caddyfile directive and global option facegate registers, the
// subdirectives its parser's switch statements accept, and the json tags of
// the module struct it fills. Nothing is listed by hand here, so an option
// added to a parser (or a struct) without documentation fails the test.

// directive is one registered Caddyfile directive or global option.
type directive struct {
	name     string
	options  map[string]bool // Caddyfile subdirectives, nested ones as "block/name"
	jsonKeys map[string]bool // json tags, nested ones as "block.name"
}

// goPackage is one parsed package directory.
type goPackage struct {
	files []*ast.File
	// others are the other parsed packages by name, for a parser that
	// hands the dispenser to another package's function.
	others map[string]*goPackage
}

func parsePackage(t *testing.T, fset *token.FileSet, dir string) *goPackage {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	p := &goPackage{}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		p.files = append(p.files, f)
	}
	return p
}

// funcDecl finds a top-level function (recv "") or a method of recv.
func (p *goPackage) funcDecl(name, recv string) *ast.FuncDecl {
	for _, f := range p.files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Name.Name != name {
				continue
			}
			if recvName(fd) == recv {
				return fd
			}
		}
	}
	return nil
}

func recvName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return ""
	}
	t := fd.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// structType finds a struct type declaration.
func (p *goPackage) structType(name string) *ast.StructType {
	for _, f := range p.files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, s := range gd.Specs {
				ts, ok := s.(*ast.TypeSpec)
				if ok && ts.Name.Name == name {
					st, _ := ts.Type.(*ast.StructType)
					return st
				}
			}
		}
	}
	return nil
}

// registrations finds httpcaddyfile.RegisterGlobalOption and
// RegisterHandlerDirective calls (directive name -> parse function name) and
// plugin.RegisterDirective[T] calls (directive name -> "" and type T, whose
// UnmarshalCaddyfile parses the directive).
func (p *goPackage) registrations() (parseFns, types map[string]string) {
	parseFns, types = map[string]string{}, map[string]string{}
	for _, f := range p.files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 2 {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			name, _ := strconv.Unquote(lit.Value)
			if ix, ok := call.Fun.(*ast.IndexExpr); ok {
				if funcName(ix.X) == "RegisterDirective" {
					if t, ok := ix.Index.(*ast.Ident); ok {
						types[name] = t.Name
					}
				}
				return true
			}
			if fn := funcName(call.Fun); fn != "RegisterGlobalOption" && fn != "RegisterHandlerDirective" {
				return true
			}
			if id, ok := call.Args[1].(*ast.Ident); ok {
				parseFns[name] = id.Name
			}
			return true
		})
	}
	return parseFns, types
}

// funcName is the name a call's function expression ends with: f or pkg.f.
func funcName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.SelectorExpr:
		return x.Sel.Name
	}
	return ""
}

// builtType is the type a parse function builds: new(T), var x T or T{}.
func builtType(fd *ast.FuncDecl) string {
	var typ string
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		if typ != "" {
			return false
		}
		switch x := n.(type) {
		case *ast.CallExpr:
			if id, ok := x.Fun.(*ast.Ident); ok && id.Name == "new" && len(x.Args) == 1 {
				if t, ok := x.Args[0].(*ast.Ident); ok {
					typ = t.Name
				}
			}
		case *ast.ValueSpec:
			if t, ok := x.Type.(*ast.Ident); ok {
				typ = t.Name
			}
		case *ast.CompositeLit:
			if t, ok := x.Type.(*ast.Ident); ok {
				typ = t.Name
			}
		}
		return true
	})
	return typ
}

// dispenserValueNames are the identifiers holding d.Val() in fd: d.Val()
// itself is matched directly, `name := d.Val()` adds "name".
func dispenserValueNames(fd *ast.FuncDecl) map[string]bool {
	names := map[string]bool{}
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || len(as.Lhs) != 1 || len(as.Rhs) != 1 {
			return true
		}
		if isValCall(as.Rhs[0]) {
			if id, ok := as.Lhs[0].(*ast.Ident); ok {
				names[id.Name] = true
			}
		}
		return true
	})
	return names
}

func isValCall(e ast.Expr) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "Val" && len(call.Args) == 0
}

// caseOptions collects the string cases of the switches on d.Val() in fd,
// and for each case whose body calls another type's Caddyfile method with
// the dispenser (a nested block), that method's name and receiver type.
func (p *goPackage) caseOptions(fd *ast.FuncDecl, fieldTypes map[string]string) (opts []string, nested map[string]*ast.FuncDecl) {
	valNames := dispenserValueNames(fd)
	nested = map[string]*ast.FuncDecl{}
	opts = lookedUpKeys(fd, valNames)
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		sw, ok := n.(*ast.SwitchStmt)
		if !ok || sw.Tag == nil {
			return true
		}
		id, isIdent := sw.Tag.(*ast.Ident)
		if !isValCall(sw.Tag) && !(isIdent && valNames[id.Name]) {
			return true
		}
		for _, st := range sw.Body.List {
			cc := st.(*ast.CaseClause)
			if refusesAtOnce(cc) {
				continue // a removed option kept only to explain its removal
			}
			for _, e := range cc.List {
				lit, ok := e.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				name, _ := strconv.Unquote(lit.Value)
				opts = append(opts, name)
				if m := p.nestedCall(cc, fieldTypes); m != nil {
					nested[name] = m
				}
			}
		}
		return true
	})
	return opts, nested
}

// lookedUpKeys collects the string keys of the map literals that fd indexes
// with d.Val() (`m := map[string]...{"opt": ...}` and then `m[d.Val()]`):
// options read by a table instead of a switch case.
func lookedUpKeys(fd *ast.FuncDecl, valNames map[string]bool) []string {
	maps := map[string]*ast.CompositeLit{}
	indexed := map[string]bool{}
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.AssignStmt:
			if len(x.Lhs) == 1 && len(x.Rhs) == 1 {
				id, ok1 := x.Lhs[0].(*ast.Ident)
				lit, ok2 := x.Rhs[0].(*ast.CompositeLit)
				if ok1 && ok2 {
					if _, isMap := lit.Type.(*ast.MapType); isMap {
						maps[id.Name] = lit
					}
				}
			}
		case *ast.IndexExpr:
			id, ok := x.X.(*ast.Ident)
			key, isIdent := x.Index.(*ast.Ident)
			if ok && (isValCall(x.Index) || isIdent && valNames[key.Name]) {
				indexed[id.Name] = true
			}
		}
		return true
	})
	var keys []string
	for name := range indexed {
		lit := maps[name]
		if lit == nil {
			continue
		}
		for _, e := range lit.Elts {
			kv, ok := e.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			if k, ok := kv.Key.(*ast.BasicLit); ok && k.Kind == token.STRING {
				v, _ := strconv.Unquote(k.Value)
				keys = append(keys, v)
			}
		}
	}
	return keys
}

// refusesAtOnce reports whether a case only returns an error built from
// the dispenser (d.Err, d.Errf, d.ArgErr...): the option is not accepted.
func refusesAtOnce(cc *ast.CaseClause) bool {
	if len(cc.Body) != 1 {
		return false
	}
	ret, ok := cc.Body[0].(*ast.ReturnStmt)
	if !ok || len(ret.Results) != 1 {
		return false
	}
	call, ok := ret.Results[0].(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	return strings.HasPrefix(sel.Sel.Name, "Err") || sel.Sel.Name == "ArgErr"
}

// nestedCall finds `x.Field.method(d)` in a case body where Field's type
// has that method: a nested block parsed by another type.
func (p *goPackage) nestedCall(cc *ast.CaseClause, fieldTypes map[string]string) *ast.FuncDecl {
	var found *ast.FuncDecl
	for _, st := range cc.Body {
		ast.Inspect(st, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || found != nil {
				return found == nil
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			inner, ok := sel.X.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if typ, ok := fieldTypes[inner.Sel.Name]; ok {
				found = p.funcDecl(sel.Sel.Name, typ)
			}
			return true
		})
	}
	return found
}

// fields returns the struct's exported fields: Go name -> (json name, type name).
func fields(st *ast.StructType) (jsonNames, typeNames map[string]string) {
	jsonNames, typeNames = map[string]string{}, map[string]string{}
	for _, f := range st.Fields.List {
		if len(f.Names) == 0 || !f.Names[0].IsExported() || f.Tag == nil {
			continue
		}
		tag, _ := strconv.Unquote(f.Tag.Value)
		j := strings.Split(reflect.StructTag(tag).Get("json"), ",")[0]
		if j == "" || j == "-" {
			continue
		}
		jsonNames[f.Names[0].Name] = j
		if id, ok := f.Type.(*ast.Ident); ok {
			typeNames[f.Names[0].Name] = id.Name
		}
	}
	return jsonNames, typeNames
}

// codeDirectives reads every facegate directive from the plugin packages.
func codeDirectives(t *testing.T) map[string]*directive {
	t.Helper()
	fset := token.NewFileSet()
	out := map[string]*directive{}
	pkgs := map[string]*goPackage{}
	dirs := []string{"../plugin", "../plugin/admin", "../plugin/console"}
	for _, dir := range dirs {
		p := parsePackage(t, fset, dir)
		p.others = pkgs
		pkgs[filepath.Base(dir)] = p
	}
	for _, dir := range dirs {
		p := pkgs[filepath.Base(dir)]
		parseFns, types := p.registrations()
		for name, parseFn := range parseFns {
			fd := p.funcDecl(parseFn, "")
			if fd == nil {
				t.Fatalf("%s: parse function %s of %q not found", dir, parseFn, name)
			}
			typ := builtType(fd)
			if typ == "" {
				t.Fatalf("%s: no module type built in %s", dir, parseFn)
			}
			types[name] = typ
		}
		for name, typ := range types {
			d := &directive{name: name, options: map[string]bool{}, jsonKeys: map[string]bool{}}
			p.collect(t, d, typ, p.funcDecl("UnmarshalCaddyfile", typ), "", "")
			out[name] = d
		}
	}
	return out
}

// collect adds typ's Caddyfile options (from um) and json keys to d.
func (p *goPackage) collect(t *testing.T, d *directive, typ string, um *ast.FuncDecl, optPrefix, jsonPrefix string) {
	t.Helper()
	if um == nil {
		t.Fatalf("%s: type %s has no Caddyfile method", d.name, typ)
	}
	st := p.structType(typ)
	if st == nil {
		t.Fatalf("%s: struct %s not found", d.name, typ)
	}
	jsonNames, typeNames := fields(st)
	goNameOfJSON := map[string]string{}
	for goName, j := range jsonNames {
		d.jsonKeys[jsonPrefix+j] = true
		goNameOfJSON[j] = goName
	}
	if del := p.delegate(um); del != nil {
		um = del
	}
	opts, nested := p.caseOptions(um, typeNames)
	for _, o := range opts {
		d.options[optPrefix+o] = true
	}
	for opt, m := range nested {
		sub := recvName(m)
		j := jsonNames[fieldOfType(typeNames, sub)]
		p.collect(t, d, sub, m, optPrefix+opt+"/", jsonPrefix+j+".")
	}
}

// delegate is the function fd hands the whole parse to, when its body is
// `return f(d, ...)` or `return pkg.f(d, ...)`: the options are read there.
func (p *goPackage) delegate(fd *ast.FuncDecl) *ast.FuncDecl {
	if len(fd.Body.List) != 1 {
		return nil
	}
	ret, ok := fd.Body.List[0].(*ast.ReturnStmt)
	if !ok || len(ret.Results) != 1 {
		return nil
	}
	call, ok := ret.Results[0].(*ast.CallExpr)
	if !ok || len(call.Args) == 0 {
		return nil
	}
	switch f := call.Fun.(type) {
	case *ast.Ident:
		return p.funcDecl(f.Name, "")
	case *ast.SelectorExpr:
		if pkg, ok := f.X.(*ast.Ident); ok && p.others[pkg.Name] != nil {
			return p.others[pkg.Name].funcDecl(f.Sel.Name, "")
		}
	}
	return nil
}

func fieldOfType(typeNames map[string]string, typ string) string {
	for f, t := range typeNames {
		if t == typ {
			return f
		}
	}
	return ""
}

// docDirective is one directive as docs/config.md documents it.
type docDirective struct {
	options  map[string]bool
	jsonKeys map[string]bool
}

var (
	h2       = regexp.MustCompile("^## `([a-z_]+)`")
	h3       = regexp.MustCompile("^### `([a-z_]+)` block")
	codeSpan = regexp.MustCompile("`([^`]+)`")
)

// docDirectives parses docs/config.md: a "## `name`" heading per
// directive, "### `block` block" for nested blocks, and option tables whose
// first two cells are the Caddyfile and JSON names in backticks.
func docDirectives(t *testing.T, src string) map[string]*docDirective {
	t.Helper()
	out := map[string]*docDirective{}
	var cur *docDirective
	prefix := ""
	for _, line := range strings.Split(src, "\n") {
		if m := h2.FindStringSubmatch(line); m != nil {
			cur = &docDirective{options: map[string]bool{}, jsonKeys: map[string]bool{}}
			out[m[1]] = cur
			prefix = ""
			continue
		}
		if strings.HasPrefix(line, "## ") {
			cur = nil
			continue
		}
		if m := h3.FindStringSubmatch(line); m != nil && cur != nil {
			prefix = m[1] + "/"
			continue
		}
		if cur == nil || !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			continue
		}
		opt := codeSpan.FindStringSubmatch(cells[1])
		js := codeSpan.FindStringSubmatch(cells[2])
		if opt == nil {
			continue
		}
		if !strings.HasPrefix(opt[1], "<") { // a positional argument is not a subdirective
			cur.options[prefix+opt[1]] = true
		}
		if js != nil {
			cur.jsonKeys[js[1]] = true
		}
	}
	return out
}

func readConfigDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("config.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestConfigDocMatchesParsers checks that config.md documents exactly the
// directives, Caddyfile subdirectives and JSON fields the code accepts.
func TestConfigDocMatchesParsers(t *testing.T) {
	code := codeDirectives(t)
	doc := docDirectives(t, readConfigDoc(t))
	for _, want := range []string{"facegate", "facegate_guard", "facegate_api", "facegate_admin", "facegate_https_only"} {
		if code[want] == nil {
			t.Errorf("the parser scan found no %q directive: the scan is broken", want)
		}
	}
	if len(code["facegate"].options) < 10 || !code["facegate"].options["limits/max_body"] {
		t.Errorf("the parser scan found too few facegate options (%v): the scan is broken", sortedKeys(code["facegate"].options))
	}
	for name, c := range code {
		d := doc[name]
		if d == nil {
			t.Errorf("directive %q is registered in the code but has no \"## `%s`\" section in docs/config.md", name, name)
			continue
		}
		for o := range c.options {
			if !d.options[o] {
				t.Errorf("%s: option %q is accepted by the parser but not documented in docs/config.md", name, o)
			}
		}
		for o := range d.options {
			if !c.options[o] {
				t.Errorf("%s: option %q is documented in docs/config.md but the parser does not accept it", name, o)
			}
		}
		for j := range c.jsonKeys {
			if !d.jsonKeys[j] {
				t.Errorf("%s: JSON field %q is not documented in docs/config.md", name, j)
			}
		}
		for j := range d.jsonKeys {
			if !c.jsonKeys[j] {
				t.Errorf("%s: JSON field %q is documented in docs/config.md but the module has no such field", name, j)
			}
		}
	}
	for name := range doc {
		if code[name] == nil {
			t.Errorf("docs/config.md documents %q, which the code does not register", name)
		}
	}
}

// TestConfigDocVariables checks that every Caddy variable the guard sets
// appears as a placeholder in config.md.
func TestConfigDocVariables(t *testing.T) {
	doc := readConfigDoc(t)
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "../plugin/guard_vars.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ast.Inspect(f, func(node ast.Node) bool {
		lit, ok := node.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		v, _ := strconv.Unquote(lit.Value)
		if !strings.HasPrefix(v, "facegate.") {
			return true
		}
		n++
		if !strings.Contains(doc, "{http.vars."+v+"}") {
			t.Errorf("Caddy variable %q is set by the guard but {http.vars.%s} is not in docs/config.md", v, v)
		}
		return true
	})
	if n < 5 {
		t.Fatalf("found only %d facegate.* variables in plugin/guard_vars.go: the scan is broken", n)
	}
}

var envRef = regexp.MustCompile(`FACEGATE_[A-Z0-9_]+`)

// TestConfigDocEnvironment checks that every FACEGATE_* variable of the
// shipped Caddyfiles and of the Go code (outside tests) is in the
// environment table of config.md.
func TestConfigDocEnvironment(t *testing.T) {
	doc := readConfigDoc(t)
	want := map[string]string{}
	caddyfiles, err := filepath.Glob("../caddyfiles/*Caddyfile")
	if err != nil || len(caddyfiles) == 0 {
		t.Fatalf("no Caddyfiles found: %v", err)
	}
	for _, path := range caddyfiles {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range envRef.FindAllString(string(b), -1) {
			want[v] = path
		}
	}
	err = filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "tests", "docs", ".git", "node_modules", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(node ast.Node) bool {
			if lit, ok := node.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				v, _ := strconv.Unquote(lit.Value)
				if envRef.MatchString(v) && envRef.FindString(v) == v {
					want[v] = path
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 5 {
		t.Fatalf("found only %d FACEGATE_* variables: the scan is broken", len(want))
	}
	for v, where := range want {
		if !strings.Contains(doc, "| `"+v+"` |") {
			t.Errorf("%s (used in %s) has no row in the environment table of docs/config.md", v, where)
		}
	}
}

// TestConfigDocJSONExample checks that the JSON example of config.md is
// JSON and uses only fields the facegate modules have.
func TestConfigDocJSONExample(t *testing.T) {
	doc := readConfigDoc(t)
	_, rest, ok := strings.Cut(doc, "## JSON config")
	if !ok {
		t.Fatal("config.md has no JSON config section")
	}
	_, rest, ok = strings.Cut(rest, "```json\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("the JSON config section has no json block")
	}
	var cfg struct {
		Apps struct {
			Facegate map[string]any `json:"facegate"`
			HTTP     struct {
				Servers map[string]struct {
					Routes []struct {
						Handle []map[string]any `json:"handle"`
					} `json:"routes"`
				} `json:"servers"`
			} `json:"http"`
		} `json:"apps"`
	}
	if err := json.Unmarshal([]byte(block), &cfg); err != nil {
		t.Fatalf("the JSON example is not JSON: %v", err)
	}
	code := codeDirectives(t)
	var check func(directive, prefix string, obj map[string]any)
	check = func(directive, prefix string, obj map[string]any) {
		for k, v := range obj {
			if directive != "facegate" && k == "handler" {
				continue
			}
			if !code[directive].jsonKeys[prefix+k] {
				t.Errorf("the JSON example sets %s %q, which the module does not have", directive, prefix+k)
			}
			if sub, ok := v.(map[string]any); ok {
				check(directive, prefix+k+".", sub)
			}
		}
	}
	if len(cfg.Apps.Facegate) == 0 {
		t.Fatal("the JSON example has no apps.facegate")
	}
	check("facegate", "", cfg.Apps.Facegate)
	handlers := 0
	for _, srv := range cfg.Apps.HTTP.Servers {
		for _, r := range srv.Routes {
			for _, h := range r.Handle {
				name, _ := h["handler"].(string)
				if code[name] == nil {
					t.Errorf("the JSON example uses handler %q, which facegate does not register", name)
					continue
				}
				handlers++
				check(name, "", h)
			}
		}
	}
	if handlers < 3 {
		t.Errorf("the JSON example shows %d facegate handlers", handlers)
	}
}
