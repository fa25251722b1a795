package service

import "context"

// detect implements faces/detect: photos with temporary tags, uids always [].
func (s *Service) detect(ctx context.Context, req *Request) (*Response, error) {
	ps, partial, err := s.processImages(ctx, req)
	if err != nil {
		return nil, err
	}
	return photosResponse(ps, partial), nil
}

func photosResponse(ps []processed, partial bool) *Response {
	r := &Response{Status: "success", Photos: make([]Photo, len(ps))}
	if partial {
		r.Status = "partial"
	}
	for i := range ps {
		r.Photos[i] = ps[i].photo
	}
	return r
}
