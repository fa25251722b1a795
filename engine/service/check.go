package service

import "github.com/facegate/facegate/engine/skyerr"

// Check runs the argument checks of req's method that need no work: no
// image is fetched or decoded, nothing is read from or written to the
// store. A request Check refuses would be refused by Call with the same
// error, so a caller that charges for requests (the guard's quota) can
// refuse it without charging. A nil error does not promise that Call
// succeeds: images may fail to download or decode, tags may not exist.
// Methods without images are not checked here (they cost no quota).
func (s *Service) Check(req *Request) error {
	if req == nil || !imageMethods[req.Method] {
		return nil
	}
	switch req.Method {
	case "faces/recognize":
		if _, err := s.targets(req); err != nil {
			return err
		}
		if _, err := intParam(req, "limit", 100, 1, 1000); err != nil {
			return err
		}
		if _, err := intParam(req, "matching_threshold", 0, 0, 100); err != nil {
			return err
		}
	case "faces/group":
		if _, err := s.targets(req); err != nil {
			return err
		}
		if _, err := intParam(req, "threshold", s.opts.Threshold, 0, 100); err != nil {
			return err
		}
		if _, err := intParam(req, "limit", 100, 1, 1000); err != nil {
			return err
		}
		if _, err := boolParam(req, "return_similarities", false); err != nil {
			return err
		}
	}
	if _, _, err := s.imageInputs(req); err != nil {
		return err
	}
	return nil
}

// imageInputs reads the analysis options and the urls of an image method
// and checks the number of images (uploads and urls).
func (s *Service) imageInputs(req *Request) (AnalyzeOptions, []string, *skyerr.Error) {
	opt, err := analyzeOptions(req)
	if err != nil {
		return opt, nil, err
	}
	urls := splitList(req.Params["urls"])
	n := Images(req.Files, req.Params["urls"])
	if n == 0 {
		return opt, nil, skyerr.New(skyerr.MissingArgs, "urls or files required")
	}
	if limit := int(s.maxImages.Load()); n > limit {
		return opt, nil, skyerr.New(skyerr.ListTooLong, "%d images in one call, at most %d allowed", n, limit)
	}
	if s.an == nil {
		return opt, nil, skyerr.New(skyerr.Unavailable, "face analysis is not configured")
	}
	return opt, urls, nil
}
