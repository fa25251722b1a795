package main

import (
	"crypto/sha256"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// openSetData is the open-set protocol built from the shared photos:
//
//   - every LFW person is either a stranger (FNV-1a hash of the name ≡ 0 mod 3) or
//     enrollable (the rest); strangers are never enrolled anywhere, and all their images
//     are the non-mated probes;
//   - an enrollable person is enrolled with the first image of the folder in sorted order;
//     the other images of enrolled people are the mated probes;
//   - distractors are the photos of detection/ and detection-wider/ (speed/wider416 holds
//     byte-identical copies and is skipped by sha256); every recognizable face found in
//     them is enrolled as an identity of its own.
//
// Galleries are nested: enrollable people with at least two images come first (sorted by
// name hash), then people with one image (in hash order); a gallery of size n holds the
// first n of them whose enrolment photo has a recognizable centre face, the largest every
// enrollable LFW person and every distractor face.
type openSetData struct {
	multi, single []lfwPerson // enrollable, hash order
	strangers     []lfwPerson // never enrolled
	distractors   []string    // absolute paths of the distractor photos
	// extra holds the first image of each person of other folds (open-set --extra-folds):
	// distractor uids of the largest gallery whose centre face is enrolled, never searched
	extra []string
}

// lfwPerson is one LFW identity with its image paths (absolute, sorted).
type lfwPerson struct {
	name   string
	images []string
}

func nameHash(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// loadOpenSet reads the LFW people of the given pairs.txt folds (0-based; nil = all) and
// lists the distractor photos under data.
func loadOpenSet(data string, folds map[int]bool) (*openSetData, error) {
	root := filepath.Join(data, "recognition", "lfw", "images")
	foldOf, err := personFolds(filepath.Join(data, "recognition", "lfw", "pairs.txt"))
	if err != nil {
		return nil, err
	}
	dirs, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("read lfw people: %w", err)
	}
	d := &openSetData{}
	for _, e := range dirs {
		if f, ok := foldOf[e.Name()]; !e.IsDir() || (folds != nil && (!ok || !folds[f])) {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(root, e.Name(), "*.jpg"))
		if len(files) == 0 {
			continue
		}
		sort.Strings(files)
		p := lfwPerson{name: e.Name(), images: files}
		switch {
		case nameHash(p.name)%3 == 0:
			d.strangers = append(d.strangers, p)
		case len(files) > 1:
			d.multi = append(d.multi, p)
		default:
			d.single = append(d.single, p)
		}
	}
	byHash := func(ps []lfwPerson) {
		sort.Slice(ps, func(i, j int) bool {
			hi, hj := nameHash(ps[i].name), nameHash(ps[j].name)
			if hi != hj {
				return hi < hj
			}
			return ps[i].name < ps[j].name
		})
	}
	byHash(d.multi)
	byHash(d.single)
	seen := map[[32]byte]bool{}
	for _, dir := range []string{"detection/images", "detection-wider/images", "speed/wider416"} {
		files, _ := filepath.Glob(filepath.Join(data, dir, "*.jpg"))
		sort.Strings(files)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("read distractor photo: %w", err)
			}
			h := sha256.Sum256(b)
			if !seen[h] {
				seen[h] = true
				d.distractors = append(d.distractors, f)
			}
		}
	}
	return d, nil
}

// gallery is one gallery size: LFW people are enrolled in order until size of them are
// (0 = every enrollable person, plus the distractor faces).
type gallery struct {
	ns          string
	people      []lfwPerson
	size        int
	distractors bool
}

// galleries returns the nested galleries for the requested LFW sizes; size 0 means every
// enrollable person plus the distractor faces. A person whose enrolment photo gives no
// recognizable centre face is skipped, so a gallery of size n holds n people.
func (d *openSetData) galleries(sizes []int) []gallery {
	all := append(append([]lfwPerson{}, d.multi...), d.single...)
	var out []gallery
	for _, n := range sizes {
		if n <= 0 || n >= len(all) {
			out = append(out, gallery{ns: "gall", people: all, distractors: true})
			continue
		}
		out = append(out, gallery{ns: fmt.Sprintf("g%d", n), people: all, size: n})
	}
	return out
}

// uidOf is the uid a person or distractor face is enrolled under in ns.
func uidOf(name, ns string) string { return strings.ToLower(name) + "@" + ns }
