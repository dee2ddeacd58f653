{{/* The chart's name, and the release's full name for its objects. */}}
{{- define "tssim.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tssim.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "tssim.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "tssim.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "tssim.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tssim.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The Secret that holds the admin token. */}}
{{- define "tssim.secretName" -}}
{{- .Values.adminToken.existingSecret | default (printf "%s-admin" (include "tssim.fullname" .)) }}
{{- end }}

{{/* The claim that holds the state file. */}}
{{- define "tssim.claimName" -}}
{{- .Values.persistence.existingClaim | default (printf "%s-state" (include "tssim.fullname" .)) }}
{{- end }}
